"""The usual count of many series for any minute: a level times an hour-of-day factor times an
hour-of-week factor, learnt online with exponential forgetting, for all series at once.

Why this shape:
- Minute-of-week is far too sparse to learn (one sample a week per slot). An hour-of-day factor
  (24 slots, seen every day) carries the daily rhythm after a day; an hour-of-week factor
  (168 slots, seen once a week) only corrects weekdays against weekends, slowly.
- Factors are read and learnt with linear interpolation between neighbouring hour centres, so
  the expected count moves smoothly through the day instead of jumping on the hour.
- The level follows slow growth and decline; until the factors know anything it is all there is,
  and it is learnt as a plain running mean at first (cold start) before forgetting sets in.
- Factors are stored slot-major (slots x series) so the slot of the current minute, shared by
  every series, is one contiguous row: float32 keeps a series under 1 KB.

What to learn from (not outages) is the caller's choice: `learn` takes a weight per series
(0 learns nothing, 1 a full step) and counts the caller has already clipped.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
# a minute's slots (`slots_of`) and every series' day and week factor there
Factors = tuple[tuple[int, int, int, int, float], FloatArray, FloatArray]

DAY_SLOTS = 24
WEEK_SLOTS = 168
_MINUTES_PER_DAY = 1440
# 1970-01-01 (minute 0) was a Thursday; shifting by three days puts Monday at slot 0.
_EPOCH_WEEKDAY = 3
# A factor outside these bounds is a learning accident, not a rhythm.
_FACTOR_MIN = 0.02
_FACTOR_MAX = 50.0
_TINY = 1e-9


def _rate(halflife: float) -> float:
    return 1.0 - math.exp(-math.log(2.0) / halflife)


def slots_of(minute: int) -> tuple[int, int, int, int, float]:
    """The two neighbouring hour slots around `minute` and the weight of the second.

    Returns (day0, day1, week0, week1, t): the factor at `minute` is
    (1 - t) * factor[slot0] + t * factor[slot1], slot centres being at half past each hour.
    """
    hour = minute // 60
    pos = (minute % 60 + 0.5) / 60.0 - 0.5
    first = hour if pos >= 0.0 else hour - 1
    t = pos if pos >= 0.0 else 1.0 + pos
    second = first + 1
    week_hour0 = (first + _EPOCH_WEEKDAY * 24) % WEEK_SLOTS
    week_hour1 = (second + _EPOCH_WEEKDAY * 24) % WEEK_SLOTS
    return first % DAY_SLOTS, second % DAY_SLOTS, week_hour0, week_hour1, t


class SeasonalBaseline:
    """Expected counts per minute for a growing set of series (see the module docstring).

    Halflives: `level_halflife` in minutes; `day_halflife` in days and `week_halflife` in
    weeks of the slot's own samples (each slot is only seen for an hour a day or a week).
    """

    def __init__(
        self,
        level_halflife: float = 1440.0,
        day_halflife: float = 7.0,
        week_halflife: float = 4.0,
    ) -> None:
        if min(level_halflife, day_halflife, week_halflife) <= 0:
            raise ValueError("halflives must be positive")
        self.level_halflife = level_halflife
        self.day_halflife = day_halflife
        self.week_halflife = week_halflife
        self._a_level = _rate(level_halflife)
        self._a_day = _rate(day_halflife * 60.0)
        self._a_week = _rate(week_halflife * 60.0)
        self._n = 0
        self._level = np.zeros(0, np.float64)
        self._seen = np.zeros(0, np.float64)
        self._day = np.ones((DAY_SLOTS, 0), np.float32)
        self._week = np.ones((WEEK_SLOTS, 0), np.float32)

    def __len__(self) -> int:
        return self._n

    @property
    def seen(self) -> FloatArray:
        """How many minutes each series has learnt from (drives the cold start)."""
        return self._seen[: self._n]

    @property
    def level(self) -> FloatArray:
        return self._level[: self._n]

    def resize(self, n: int) -> None:
        """Make room for `n` series; capacity doubles so growth is amortised."""
        if n <= self._n:
            return
        cap = self._level.shape[0]
        if n > cap:
            new_cap = max(n, 2 * cap, 16)
            self._level = _grown(self._level, new_cap, 0.0)
            self._seen = _grown(self._seen, new_cap, 0.0)
            self._day = _grown_rows(self._day, new_cap)
            self._week = _grown_rows(self._week, new_cap)
        self._n = n

    def factors(self, minute: int) -> Factors:
        """The slots of `minute` and every series' day and week factor there, as `learn` of
        that minute starts from: read once by a caller that asks for the expected counts and
        then learns the same minute (`SeriesBank.step`)."""
        slots = slots_of(minute)
        d0, d1, w0, w1, t = slots
        n = self._n
        day = (1.0 - t) * self._day[d0, :n].astype(np.float64) + t * self._day[d1, :n]
        week = (1.0 - t) * self._week[w0, :n].astype(np.float64) + t * self._week[w1, :n]
        return slots, day, week

    def profile(self, minute: int) -> FloatArray:
        """The seasonal factor of every series at `minute` (1 = an ordinary minute)."""
        _, day, week = self.factors(minute)
        return day * week

    def expected(self, minute: int, factors: Factors | None = None) -> FloatArray:
        """The usual count of every series at `minute`, without learning (`factors`: those
        of `minute`, as read since)."""
        _, day, week = self.factors(minute) if factors is None else factors
        return self._level[: self._n] * (day * week)

    def learn(
        self, minute: int, counts: FloatArray, weight: FloatArray, factors: Factors | None = None
    ) -> None:
        """Learn one minute of `counts`, each series with its `weight` in [0, 1] (`factors`:
        those of `minute`, read since the last learning)."""
        n = self._n
        slots, day_i, week_i = self.factors(minute) if factors is None else factors
        d0, d1, w0, w1, t = slots
        level = self._level[:n]
        seen = self._seen[:n]
        known = np.where(level > _TINY, weight, 0.0)

        # Day factors learn the ratio to level x week, fast while young (each slot gets about
        # 1/24 of the minutes seen). Week factors learn what is left, always slowly: were they
        # as quick, both would learn the daily rhythm and count it twice.
        a_day = known * np.maximum(self._a_day, 1.0 / (1.0 + seen / DAY_SLOTS))
        ratio = np.clip(counts / np.maximum(level * week_i, _TINY), 0.0, _FACTOR_MAX)
        self._nudge(self._day, d0, d1, t, a_day, ratio)
        day_new = (1.0 - t) * self._day[d0, :n].astype(np.float64) + t * self._day[d1, :n]
        a_week = known * self._a_week
        ratio = np.clip(counts / np.maximum(level * day_new, _TINY), 0.0, _FACTOR_MAX)
        self._nudge(self._week, w0, w1, t, a_week, ratio)

        a_level = weight * np.maximum(self._a_level, 1.0 / (seen + 1.0))
        deseasoned = counts / np.maximum(day_i * week_i, _FACTOR_MIN)
        level += a_level * (deseasoned - level)
        seen += weight
        self._renormalise(minute)

    def _nudge(
        self,
        table: npt.NDArray[np.float32],
        s0: int,
        s1: int,
        t: float,
        rate: FloatArray,
        target: FloatArray,
    ) -> None:
        n = self._n
        for slot, weight in ((s0, 1.0 - t), (s1, t)):
            row = table[slot, :n]
            row += (rate * weight * (target - row)).astype(np.float32)
            np.clip(row, _FACTOR_MIN, _FACTOR_MAX, out=row)

    def _renormalise(self, minute: int) -> None:
        # Factors drift together; folding their mean into the level keeps them meaning
        # "relative to an ordinary hour" without changing any expected count. Each minute
        # takes its own sixtieth of the series, so every series is done once an hour and no
        # single tick pays for all of them.
        part = minute % 60
        lo, hi = self._n * part // 60, self._n * (part + 1) // 60
        if hi <= lo:
            return
        for table in (self._day, self._week):
            block = table[:, lo:hi]
            mean = block.mean(axis=0, dtype=np.float64)
            mean = np.where(mean > _TINY, mean, 1.0)
            np.divide(block, mean.astype(np.float32), out=block)
            self._level[lo:hi] *= mean

    def config(self) -> dict[str, Any]:
        return {
            "level_halflife": self.level_halflife,
            "day_halflife": self.day_halflife,
            "week_halflife": self.week_halflife,
        }

    def state(self) -> dict[str, np.ndarray[Any, Any]]:
        n = self._n
        return {
            "level": self._level[:n].copy(),
            "seen": self._seen[:n].copy(),
            "day": self._day[:, :n].copy(),
            "week": self._week[:, :n].copy(),
        }

    def load_state(self, state: dict[str, np.ndarray[Any, Any]]) -> None:
        level = np.asarray(state["level"], np.float64)
        n = int(level.shape[0])
        self._level = level.copy()
        self._seen = np.asarray(state["seen"], np.float64).copy()
        self._day = np.ascontiguousarray(state["day"], np.float32).reshape(DAY_SLOTS, n)
        self._week = np.ascontiguousarray(state["week"], np.float32).reshape(WEEK_SLOTS, n)
        self._n = n

    def nbytes_per_series(self) -> float:
        """Bytes of state per series at full capacity (what the memory target is about)."""
        cap = max(self._level.shape[0], 1)
        total = self._level.nbytes + self._seen.nbytes + self._day.nbytes + self._week.nbytes
        return total / cap


def _grown(a: FloatArray, cap: int, fill: float) -> FloatArray:
    out = np.full(cap, fill, a.dtype)
    out[: a.shape[0]] = a
    return out


def _grown_rows(a: npt.NDArray[np.float32], cap: int) -> npt.NDArray[np.float32]:
    out = np.ones((a.shape[0], cap), np.float32)
    out[:, : a.shape[1]] = a
    return out
