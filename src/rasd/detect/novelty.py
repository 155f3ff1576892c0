"""A detector for any numeric series: how far a value goes beyond the range seen so far.

A value inside the range the series has already visited is no news, however it got there; a
value beyond it is, in proportion to how far beyond it goes, measured in widths of that range
(scale-free, so one setting serves every series). Old extremes fade: the remembered range
shrinks towards its middle with a half-life, so a series that has calmed down can surprise
again. A run of ever-higher values scores only while each goes further than the last, which
keeps one event from raising a stream of alarms.
"""

from __future__ import annotations

import math

from rasd.detect.base import Detector, Point


class RangeNoveltyDetector(Detector):
    """Excess beyond the remembered range, in range widths, squashed to [0, 1].

    - halflife: points over which the remembered range shrinks halfway to its middle.
    - z_half: the excess (in range widths) that scores 0.5.
    - warmup: points seen before any score (the range of a handful of points means little).
    - young: the range of a young series is widened by a factor 1 + young / points seen, as new
      records are common while few points have been seen.
    """

    def __init__(
        self,
        seed: int = 0,
        halflife: float = 3000.0,
        z_half: float = 0.2,
        warmup: int = 50,
        young: float = 100.0,
    ) -> None:
        if halflife <= 0 or z_half <= 0 or warmup < 2 or young < 0:
            raise ValueError("halflife and z_half must be positive, warmup >= 2, young >= 0")
        self.seed = seed
        self.halflife = halflife
        self.z_half = z_half
        self.warmup = warmup
        self.young = young
        self._shrink = 1.0 - math.exp(-math.log(2.0) / halflife)
        self._n = 0
        self._hi = 0.0
        self._lo = 0.0

    def _excess(self, v: float) -> float:
        width = self._hi - self._lo
        # A flat history has no width: measure against its magnitude instead, so a flat series
        # needs a real change (not float noise) to score.
        width = max(width, 1e-6 * max(abs(self._hi), abs(self._lo)), 1e-12)
        width *= 1.0 + self.young / self._n
        return max(0.0, v - self._hi, self._lo - v) / width

    def score_one(self, x: Point) -> float:
        if self._n < self.warmup or not math.isfinite(x.value):
            return 0.0
        e = self._excess(x.value)
        return e * e / (e * e + self.z_half * self.z_half)

    def learn_one(self, x: Point) -> None:
        v = x.value
        if not math.isfinite(v):
            return
        if self._n == 0:
            self._hi = self._lo = v
        else:
            mid = 0.5 * (self._hi + self._lo)
            self._hi = max(self._hi - self._shrink * (self._hi - mid), v)
            self._lo = min(self._lo + self._shrink * (mid - self._lo), v)
        self._n += 1
