"""The views of `rasd.detect.views` as a single-series detector (`rasd detect-series`).

It is a `ViewBank` of one series, so a CSV scored here and a series scored among thousands in
a bank get the same scores, bit for bit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rasd.detect.base import Detector, Point
from rasd.detect.views import ViewBank


def seconds_of_day(x: Point) -> int:
    when = x.when
    return when.hour * 3600 + when.minute * 60 + when.second


class MultiViewDetector(Detector):
    """Context, context-level, level and shape views of one series; see `ViewBank` for the meaning
    of each argument (they are its constructor's, with the same defaults)."""

    def __init__(
        self,
        seed: int = 0,
        slots: int = 24,
        profile_halflife: float = 10.0,
        smooth: float = 10.0,
        range_halflife: float = 10000.0,
        range_half: float = 0.2,
        young: float = 100.0,
        warmup: int = 150,
        view_quiet: float = 400.0,
        quiet: float = 100.0,
        chatter_halflife: float = 1000.0,
        chatter: float = 0.5,
        long_after: float = 4500.0,
        long_gain: float = 0.5,
        shape_window: int = 8,
        shape_prototypes: int = 2,
        shape_vigilance: float = 0.05,
        shape_learn: float = 0.3,
        shape_memory: float = 110.0,
        shape_width: float = 3.0,
        shape_half: float = 0.6,
        shape_warmup: int = 600,
        shape_young: float = 200.0,
    ) -> None:
        self.seed = seed
        self.slots = slots
        self.profile_halflife = profile_halflife
        self.smooth = smooth
        self.range_halflife = range_halflife
        self.range_half = range_half
        self.young = young
        self.warmup = warmup
        self.view_quiet = view_quiet
        self.quiet = quiet
        self.chatter_halflife = chatter_halflife
        self.chatter = chatter
        self.long_after = long_after
        self.long_gain = long_gain
        self.shape_window = shape_window
        self.shape_prototypes = shape_prototypes
        self.shape_vigilance = shape_vigilance
        self.shape_learn = shape_learn
        self.shape_memory = shape_memory
        self.shape_width = shape_width
        self.shape_half = shape_half
        self.shape_warmup = shape_warmup
        self.shape_young = shape_young
        self._bank = ViewBank(**self.params())
        self._bank.resize(1)

    def _inputs(self, x: Point) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
        return np.array([x.value]), self._bank.slot_of([seconds_of_day(x)])

    def score_one(self, x: Point) -> float:
        return float(self._bank.score(*self._inputs(x))[0])

    def learn_one(self, x: Point) -> None:
        self._bank.step(*self._inputs(x))

    def process_one(self, x: Point) -> float:
        # one pass instead of scoring twice: step scores before it learns
        return float(self._bank.step(*self._inputs(x))[0])
