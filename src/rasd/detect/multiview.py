"""The views of `rasd.detect.views` as a single-series detector (`rasd detect-series`).

It is a `ViewBank` of one series, so a CSV scored here and a series scored among thousands in
a bank get the same scores, bit for bit.
"""

from __future__ import annotations

import numpy as np

from rasd.detect.base import Detector, Point
from rasd.detect.views import ViewBank


class MultiViewDetector(Detector):
    """Range, sequence, shape and volatility views of one series; see `ViewBank` for the
    meaning of each argument (they are its constructor's, with the same defaults)."""

    def __init__(
        self,
        seed: int = 0,
        bins: int = 10,
        range_halflife: float = 3000.0,
        range_half: float = 0.2,
        young: float = 100.0,
        step_cap: float = 1000.0,
        shape_short: float = 30.0,
        shape_long: float = 1000.0,
        vol_short: float = 10.0,
        vol_long: float = 1000.0,
        average: float = 10.0,
        history: float = 2000.0,
        z_half: float = 24.0,
        warmup: int = 150,
        quiet: float = 400.0,
    ) -> None:
        self.seed = seed
        self.bins = bins
        self.range_halflife = range_halflife
        self.range_half = range_half
        self.young = young
        self.step_cap = step_cap
        self.shape_short = shape_short
        self.shape_long = shape_long
        self.vol_short = vol_short
        self.vol_long = vol_long
        self.average = average
        self.history = history
        self.z_half = z_half
        self.warmup = warmup
        self.quiet = quiet
        self._bank = ViewBank(**self.params())
        self._bank.resize(1)

    def score_one(self, x: Point) -> float:
        return float(self._bank.score(np.array([x.value]))[0])

    def learn_one(self, x: Point) -> None:
        self._bank.step(np.array([x.value]))

    def process_one(self, x: Point) -> float:
        # one pass instead of scoring twice: step scores before it learns
        return float(self._bank.step(np.array([x.value]))[0])
