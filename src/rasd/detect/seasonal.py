"""The production count detector, one series at a time: a `SeriesBank` holding one series.

It exists so the detector used in production passes the same shared checks as every other
detector; production itself steps a bank of all series at once.
"""

from __future__ import annotations

import numpy as np

from rasd.clock import minute_of
from rasd.detect.bank import SeriesBank
from rasd.detect.base import Detector, Point
from rasd.series import SeriesKey

_KEY = SeriesKey("series", "value")


class SeasonalCountDetector(Detector):
    """Seasonal baseline of per-minute counts with a Poisson-aware excess score.

    Points are placed on the minute of their timestamp; negative values count as zero (the
    detector is about counts). Two points in the same minute are learnt as successive minutes.
    """

    def __init__(
        self,
        seed: int = 0,
        level_halflife: float = 1440.0,
        z_half: float = 4.0,
        min_excess: float = 3.0,
    ) -> None:
        self.seed = seed
        self.level_halflife = level_halflife
        self.z_half = z_half
        self.min_excess = min_excess
        self._bank = SeriesBank(
            seed=seed, level_halflife=level_halflife, z_half=z_half, min_excess=min_excess
        )
        self._bank.index(_KEY)

    def _minute(self, x: Point) -> int:
        minute = minute_of(x.when)
        last = self._bank.last_minute
        return minute if last is None or minute > last else last + 1

    def _counts(self, x: Point) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
        value = float(x.value) if np.isfinite(x.value) else 0.0
        return np.array([max(value, 0.0)])

    def score_one(self, x: Point) -> float:
        return float(self._bank.peek(self._minute(x), self._counts(x)).score[0])

    def learn_one(self, x: Point) -> None:
        self._bank.step(self._minute(x), self._counts(x))
