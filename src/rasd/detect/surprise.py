"""A detector for any numeric series: how surprising the recent behaviour is, as a tail
probability of its own history.

Two steps, both learnt online and both scale-free:
1. Raw surprise: the robust z-scores of the value and of its change against exponentially
   weighted, winsorised location and spread; the larger of the two (a level shift, a spike
   and a sudden drop all show up in one or the other).
2. Likelihood: the raw surprise averaged over the last few points is compared with the
   distribution that average has had so far. The score is the log tail probability, so it is
   calibrated the same way on every series (what lets one threshold serve a whole corpus),
   and a series that is always jumpy does not alarm for being jumpy.
"""

from __future__ import annotations

import math

from rasd.detect.base import Detector, Point

_MAD_TO_SD = math.sqrt(math.pi / 2.0)


def _rate(halflife: float) -> float:
    return 1.0 - math.exp(-math.log(2.0) / halflife)


class _RobustStat:
    """Winsorised EWMA location and mean absolute deviation of one stream."""

    __slots__ = ("alpha", "clip", "n", "mean", "mad", "scale")

    def __init__(self, halflife: float, clip: float) -> None:
        self.alpha = _rate(halflife)
        self.clip = clip
        self.n = 0
        self.mean = 0.0
        self.mad = 0.0
        self.scale = 0.0

    def spread(self, rel_floor: float) -> float:
        return max(self.mad * _MAD_TO_SD, rel_floor * self.scale, 1e-12)

    def z(self, v: float, rel_floor: float) -> float:
        if self.n < 2:
            return 0.0
        return abs(v - self.mean) / (self.spread(rel_floor) * (1.0 + 3.0 / self.n))

    def learn(self, v: float, rel_floor: float) -> None:
        self.n += 1
        a = max(self.alpha, 1.0 / self.n)
        if self.n > 2:
            bound = self.clip * self.spread(rel_floor)
            v = min(max(v, self.mean - bound), self.mean + bound)
        if self.n > 1:
            dev = abs(v - self.mean)
            self.mad += max(self.alpha, 1.0 / (self.n - 1)) * (dev - self.mad)
        self.mean += a * (v - self.mean)
        self.scale += a * (abs(v) - self.scale)


class SurpriseDetector(Detector):
    """Likelihood of recent raw surprise (module docstring); scores in [0, 1].

    - halflife: memory, in points, of the value and change statistics.
    - short: points averaged into the recent surprise.
    - history: memory, in points, of the distribution of that average.
    - rel_floor: spread floor relative to the mean absolute value (flat series stay calm).
    - warmup: points before which the likelihood is not trusted (score 0).
    """

    def __init__(
        self,
        seed: int = 0,
        halflife: float = 500.0,
        short: float = 5.0,
        history: float = 2000.0,
        rel_floor: float = 0.001,
        clip_z: float = 5.0,
        warmup: int = 100,
        z_half: float = 4.0,
    ) -> None:
        if min(halflife, short, history) <= 0 or rel_floor < 0 or clip_z <= 0 or warmup < 2:
            raise ValueError("halflives must be positive, rel_floor >= 0, warmup >= 2")
        self.seed = seed
        self.halflife = halflife
        self.short = short
        self.history = history
        self.rel_floor = rel_floor
        self.clip_z = clip_z
        self.warmup = warmup
        self.z_half = z_half
        self._value = _RobustStat(halflife, clip_z)
        self._change = _RobustStat(halflife, clip_z)
        self._prev: float | None = None
        self._a_short = 1.0 / short
        self._a_hist = _rate(history)
        self._recent = 0.0
        self._n = 0
        self._h_mean = 0.0
        self._h_var = 0.0

    def _raw(self, v: float) -> float:
        zv = self._value.z(v, self.rel_floor)
        zc = 0.0 if self._prev is None else self._change.z(v - self._prev, self.rel_floor)
        return max(zv, zc)

    def _recent_after(self, v: float) -> float:
        raw = self._raw(v)
        return raw if self._n == 0 else self._recent + self._a_short * (raw - self._recent)

    def score_one(self, x: Point) -> float:
        v = x.value
        if not math.isfinite(v) or self._n < self.warmup:
            return 0.0
        recent = self._recent_after(v)
        sd = math.sqrt(max(self._h_var, 1e-12))
        z = (recent - self._h_mean) / sd
        if z <= 0.0:
            return 0.0
        # Squashing rather than a clipped tail probability keeps far-out points ordered.
        return z * z / (z * z + self.z_half * self.z_half)

    def learn_one(self, x: Point) -> None:
        v = x.value
        if not math.isfinite(v):
            return
        recent = self._recent_after(v)
        self._n += 1
        a = max(self._a_hist, 1.0 / self._n)
        delta = recent - self._h_mean
        self._h_mean += a * delta
        self._h_var = (1.0 - a) * (self._h_var + a * delta * delta)
        self._recent = recent
        self._value.learn(v, self.rel_floor)
        if self._prev is not None:
            self._change.learn(v - self._prev, self.rel_floor)
        self._prev = v
