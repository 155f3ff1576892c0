"""A robust z-score against an exponentially weighted level: the simplest useful detector.

Two-sided (any value far from the recent level is odd) and scale-free, so it runs on any
series. The level and spread are learnt with winsorised updates so that an outage or a spike
moves them only a little, and the spread has a floor relative to the level so that a perfectly
flat series does not turn its first tiny wobble into an alarm.
"""

from __future__ import annotations

import math

from rasd.detect.base import Detector, Point

# Mean absolute deviation of a normal variable is this fraction of its standard deviation.
_MAD_TO_SD = math.sqrt(math.pi / 2.0)


class RobustZDetector(Detector):
    """|x - level| / spread, squashed to [0, 1] (`z_half` scores 0.5)."""

    def __init__(
        self,
        seed: int = 0,
        halflife: float = 120.0,
        z_half: float = 4.0,
        clip_z: float = 4.0,
        rel_floor: float = 0.01,
    ) -> None:
        if halflife <= 0 or z_half <= 0 or clip_z <= 0 or rel_floor < 0:
            raise ValueError("halflife, z_half, clip_z must be positive; rel_floor >= 0")
        self.seed = seed
        self.halflife = halflife
        self.z_half = z_half
        self.clip_z = clip_z
        self.rel_floor = rel_floor
        self._alpha = 1.0 - math.exp(-math.log(2.0) / halflife)
        self._n = 0
        self._mean = 0.0
        self._mad = 0.0
        self._scale = 0.0  # mean |x|: what the relative floor is relative to

    def _spread(self) -> float:
        floor = self.rel_floor * self._scale
        return max(self._mad * _MAD_TO_SD, floor, 1e-12)

    def _z(self, value: float) -> float:
        if self._n < 2:
            return 0.0
        # A young detector has seen little spread: widen it as a t-test would.
        widen = 1.0 + 3.0 / self._n
        return abs(value - self._mean) / (self._spread() * widen)

    def score_one(self, x: Point) -> float:
        if not math.isfinite(x.value):
            return 0.0
        z = self._z(x.value)
        return z * z / (z * z + self.z_half * self.z_half)

    def learn_one(self, x: Point) -> None:
        v = x.value
        if not math.isfinite(v):
            return
        self._n += 1
        a = max(self._alpha, 1.0 / self._n)
        if self._n > 2:
            bound = self.clip_z * self._spread()
            v = min(max(v, self._mean - bound), self._mean + bound)
        dev = abs(v - self._mean) if self._n > 1 else 0.0
        self._mean += a * (v - self._mean)
        self._scale += a * (abs(v) - self._scale)
        if self._n > 1:
            self._mad += max(self._alpha, 1.0 / (self._n - 1)) * (dev - self._mad)
