"""The decision: three levels people know, from scores, with hysteresis and persistence.

A score says how unusual one minute is; a level says what to tell people. Keeping them apart
lets anyone (the bank, the fusion of signals) turn any score in [0, 1] into a level the same way.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
LevelArray = npt.NDArray[np.int8]


class Level(IntEnum):
    """What a series is showing: ok (0), possible problems (1), problems detected (2)."""

    OK = 0
    POSSIBLE = 1
    DETECTED = 2

    @property
    def status(self) -> Status:
        return _STATUS[self]


class Status(StrEnum):
    """A level's code where a word is wanted (the API, subscriptions, metrics); its words in
    each language are in the catalogs (`rasd.locale.terms`)."""

    OK = "ok"
    POSSIBLE = "possible_problems"
    DETECTED = "problems_detected"

    @property
    def level(self) -> Level:
        return _LEVEL[self]


_STATUS = {Level.OK: Status.OK, Level.POSSIBLE: Status.POSSIBLE, Level.DETECTED: Status.DETECTED}
_LEVEL = {status: level for level, status in _STATUS.items()}


def status_of(level: int) -> Status:
    """The status of a stored level; beyond the scale it is the nearest end."""
    return Level(min(max(int(level), Level.OK), Level.DETECTED)).status


class LevelFilter:
    """Turns scores of many series into levels, one step (minute) at a time.

    - A level is reached when the score stays at or above its threshold (`possible`,
      `detected`) for `persist` consecutive steps: one noisy minute flips nothing.
    - A level is left one step down at a time, after `clear` consecutive steps below its
      threshold minus `hysteresis`: a score hovering at the threshold does not flicker.

    `step(scores)` takes one float per series (the array may grow between calls; new series
    start at OK) and returns the levels as int8. `state()` / `from_state()` keep it across
    restarts.
    """

    def __init__(
        self,
        possible: float = 0.5,
        detected: float = 0.75,
        persist: int = 3,
        clear: int = 10,
        hysteresis: float = 0.1,
    ) -> None:
        if not 0.0 < possible <= detected <= 1.0:
            raise ValueError("thresholds must satisfy 0 < possible <= detected <= 1")
        if persist < 1 or clear < 1:
            raise ValueError("persist and clear count steps: at least 1")
        if not 0.0 <= hysteresis < possible:
            raise ValueError("hysteresis must be in [0, possible)")
        self.possible = possible
        self.detected = detected
        self.persist = persist
        self.clear = clear
        self.hysteresis = hysteresis
        self._level: LevelArray = np.zeros(0, np.int8)
        self._run_possible = np.zeros(0, np.int32)
        self._run_detected = np.zeros(0, np.int32)
        self._run_calm = np.zeros(0, np.int32)

    def __len__(self) -> int:
        return int(self._level.shape[0])

    @property
    def levels(self) -> LevelArray:
        """The current level of each series (a copy)."""
        return self._level.copy()

    def _grow(self, n: int) -> None:
        old = len(self)
        if n <= old:
            return
        extra = n - old
        self._level = np.concatenate([self._level, np.zeros(extra, np.int8)])
        self._run_possible = np.concatenate([self._run_possible, np.zeros(extra, np.int32)])
        self._run_detected = np.concatenate([self._run_detected, np.zeros(extra, np.int32)])
        self._run_calm = np.concatenate([self._run_calm, np.zeros(extra, np.int32)])

    def step(self, scores: npt.ArrayLike) -> LevelArray:
        s = np.asarray(scores, dtype=np.float64)
        if s.ndim != 1:
            raise ValueError("scores must be one-dimensional: one per series")
        if s.shape[0] < len(self):
            raise ValueError("scores cover fewer series than the filter already follows")
        self._grow(s.shape[0])
        # NaN means "no evidence": it neither raises nor holds a level.
        s = np.nan_to_num(s, nan=0.0)
        self._run_possible = np.where(s >= self.possible, self._run_possible + 1, 0)
        self._run_detected = np.where(s >= self.detected, self._run_detected + 1, 0)
        raised = np.where(
            self._run_detected >= self.persist,
            np.int8(Level.DETECTED),
            np.where(self._run_possible >= self.persist, np.int8(Level.POSSIBLE), np.int8(0)),
        ).astype(np.int8)
        # The band that holds the current level sits `hysteresis` below its threshold.
        hold = np.array([-np.inf, self.possible, self.detected])[self._level] - self.hysteresis
        self._run_calm = np.where((s < hold) & (self._level > 0), self._run_calm + 1, 0)
        lowered = np.where(self._run_calm >= self.clear, self._level - 1, self._level)
        self._run_calm = np.where(self._run_calm >= self.clear, 0, self._run_calm)
        self._level = np.maximum(raised, lowered).astype(np.int8)
        return self._level.copy()

    def config(self) -> dict[str, Any]:
        return {
            "possible": self.possible,
            "detected": self.detected,
            "persist": self.persist,
            "clear": self.clear,
            "hysteresis": self.hysteresis,
        }

    def state(self) -> dict[str, np.ndarray[Any, Any]]:
        return {
            "level": self._level.copy(),
            "run_possible": self._run_possible.copy(),
            "run_detected": self._run_detected.copy(),
            "run_calm": self._run_calm.copy(),
        }

    def load_state(self, state: dict[str, np.ndarray[Any, Any]]) -> None:
        self._level = np.asarray(state["level"], np.int8).copy()
        self._run_possible = np.asarray(state["run_possible"], np.int32).copy()
        self._run_detected = np.asarray(state["run_detected"], np.int32).copy()
        self._run_calm = np.asarray(state["run_calm"], np.int32).copy()
