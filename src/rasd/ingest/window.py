"""Sliding-window bookkeeping over millions of keys, vectorised where it counts.

Keys live in two generations of dicts that rotate every window, so forgetting is O(1) and
lookups run at C speed through `map(dict.get, ...)`.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
import numpy.typing as npt

_NEVER = -(1 << 62)


class LastSeen:
    """The last minute at which each key was counted, remembered for at least `window` minutes."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._current: dict[int, int] = {}
        self._previous: dict[int, int] = {}
        self._generation_start = _NEVER

    def _rotate(self, minute: int) -> None:
        if minute - self._generation_start >= self.window:
            if minute - self._generation_start >= 2 * self.window:
                self._previous = {}
            else:
                self._previous = self._current
            self._current = {}
            self._generation_start = minute

    def last(self, keys: list[int]) -> npt.NDArray[np.int64]:
        current = np.fromiter(map(self._current.get, keys, repeat(_NEVER)), np.int64, len(keys))
        previous = np.fromiter(map(self._previous.get, keys, repeat(_NEVER)), np.int64, len(keys))
        return np.maximum(current, previous)

    def mark(self, keys: list[int], minute: int) -> None:
        self._rotate(minute)
        self._current.update(zip(keys, repeat(minute)))

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)


class WindowCounter:
    """How many times each key was seen in the current fixed window of `window` minutes."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._counts: dict[int, int] = {}
        self._window_id = _NEVER

    def counts(self, keys: list[int], minute: int) -> npt.NDArray[np.int64]:
        if minute // self.window != self._window_id:
            return np.zeros(len(keys), np.int64)
        return np.fromiter(map(self._counts.get, keys, repeat(0)), np.int64, len(keys))

    def add(self, keys: list[int], amounts: list[int], minute: int) -> None:
        window_id = minute // self.window
        if window_id != self._window_id:
            self._counts = {}
            self._window_id = window_id
        before = np.fromiter(map(self._counts.get, keys, repeat(0)), np.int64, len(keys))
        after = before + np.asarray(amounts, np.int64)
        self._counts.update(zip(keys, after.tolist(), strict=True))

    def __len__(self) -> int:
        return len(self._counts)


def occurrence_rank(keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """For each position, how many earlier positions hold the same key (0 for the first)."""
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.ones(n, bool)
    starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank_sorted = np.arange(n) - group_start
    rank = np.empty(n, np.int64)
    rank[order] = rank_sorted
    return rank
