"""Sliding-window bookkeeping over millions of keys, vectorised with numpy.

Keys are 64-bit hashes. They live in open-addressing hash tables held in numpy arrays, so a
minute of tens of thousands of reports is looked up and recorded in a few array operations
instead of a Python loop. Two generations that rotate every window make forgetting O(1).

A few keys at a time (the single reports of a handful of requests) are looked up one by one
instead (the `_one` methods), over the same arrays: an array operation costs microseconds
however few keys it holds, and a key alone takes a fraction of one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_NEVER = -(1 << 62)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint64(0)
_MIX_INT = int(_MIX)
_BITS64 = (1 << 64) - 1
_U64 = npt.NDArray[np.uint64]
_I64 = npt.NDArray[np.int64]


def _nonzero(keys: npt.ArrayLike) -> _U64:
    """Key 0 marks an empty slot; a real 0 is folded onto 1 (one hash in 2**64)."""
    k = np.asarray(keys, dtype=np.uint64)
    return np.where(k == _EMPTY, np.uint64(1), k)


class HashTable:
    """uint64 keys to int64 values; linear probing, grown at half full."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        size = 1 << max(4, int(capacity - 1).bit_length())
        self._keys: _U64 = np.zeros(size, np.uint64)
        self._values: _I64 = np.zeros(size, np.int64)
        # the same memory seen as Python ints: one slot read costs nanoseconds, not a numpy call
        self._key_slots = self._keys.data
        self._value_slots = self._values.data
        self._shift_int = 64 - (size.bit_length() - 1)
        self._shift = np.uint64(self._shift_int)
        self._mask = size - 1
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def _home(self, keys: _U64) -> _I64:
        with np.errstate(over="ignore"):
            return ((keys * _MIX) >> self._shift).astype(np.int64)

    def _slots(self, keys: _U64) -> _I64:
        """Where each key is, or the empty slot where its probe sequence ends."""
        pos = self._home(keys)
        pending = np.arange(keys.shape[0])
        while pending.size:
            at = pos[pending]
            held = self._keys[at]
            done = (held == keys[pending]) | (held == _EMPTY)
            pending = pending[~done]
            pos[pending] = (pos[pending] + 1) & self._mask
        return pos

    def get(self, keys: npt.ArrayLike, default: int) -> _I64:
        k = _nonzero(keys)
        if k.size == 0 or self.size == 0:
            return np.full(k.shape[0], default, np.int64)
        slots = self._slots(k)
        return np.where(self._keys[slots] == k, self._values[slots], np.int64(default))

    def put(self, keys: npt.ArrayLike, values: npt.ArrayLike, *, distinct: bool = False) -> None:
        """Set values for keys; a key given twice keeps its last value.

        `distinct` says the caller knows no key repeats, which spares a sort.
        """
        k = _nonzero(keys)
        v = np.asarray(values, dtype=np.int64)
        if k.size == 0:
            return
        if not distinct:
            # the last value of a repeated key wins, as with dict.update
            _, last = np.unique(k[::-1], return_index=True)
            keep = np.sort(k.shape[0] - 1 - last)
            k, v = k[keep], v[keep]
        if (self.size + k.size) * 2 > self._keys.shape[0]:
            self._grow(self.size + k.size)
        while k.size:
            slots = self._slots(k)
            present = self._keys[slots] == k
            self._values[slots[present]] = v[present]
            k, v, slots = k[~present], v[~present], slots[~present]
            if not k.size:
                return
            # new keys that probe to the same empty slot: the first takes it, the rest probe on
            _, first = np.unique(slots, return_index=True)
            self._keys[slots[first]] = k[first]
            self._values[slots[first]] = v[first]
            self.size += int(first.size)
            rest = np.ones(k.size, bool)
            rest[first] = False
            k, v = k[rest], v[rest]

    def add(self, keys: npt.ArrayLike, amounts: npt.ArrayLike) -> None:
        """Adds `amounts` to distinct `keys` (0 for a key not held yet): the keys held are
        found in one probe, where a `get` and then a `put` would probe for every key twice."""
        k = _nonzero(keys)
        if k.size == 0:
            return
        a = np.asarray(amounts, dtype=np.int64)
        if (self.size + k.size) * 2 > self._keys.shape[0]:
            self._grow(self.size + k.size)
        slots = self._slots(k)
        held = self._keys[slots] == k
        self._values[slots[held]] += a[held]
        if not held.all():
            new = ~held
            self.put(k[new], a[new], distinct=True)

    def get_one(self, key: int, default: int) -> int:
        """`get` of one key (a Python int below 2**64)."""
        key = key or 1
        if not self.size:
            return default
        slots, mask = self._key_slots, self._mask
        pos = ((key * _MIX_INT) & _BITS64) >> self._shift_int
        held = slots[pos]
        while held != key:
            if not held:
                return default
            pos = (pos + 1) & mask
            held = slots[pos]
        return self._value_slots[pos]

    def put_one(self, key: int, value: int) -> None:
        """`put` of one key."""
        pos = self._slot_for(key or 1)  # first: it may grow the table
        self._value_slots[pos] = value

    def add_one(self, key: int, amount: int) -> None:
        """Adds to one key's value (0 if it had none), in one probe."""
        pos = self._slot_for(key or 1)
        self._value_slots[pos] += amount

    def _slot_for(self, key: int) -> int:
        """The slot holding `key`, taken for it if it had none (an empty slot's value is 0)."""
        if (self.size + 1) * 2 > self._keys.shape[0]:
            self._grow(self.size + 1)
        slots, mask = self._key_slots, self._mask
        pos = ((key * _MIX_INT) & _BITS64) >> self._shift_int
        held = slots[pos]
        while held != key:
            if not held:
                slots[pos] = key
                self.size += 1
                return pos
            pos = (pos + 1) & mask
            held = slots[pos]
        return pos

    def _grow(self, needed: int) -> None:
        old_keys, old_values = self._keys, self._values
        used = old_keys != _EMPTY
        self.__init__(needed * 4)  # type: ignore[misc]
        self.put(old_keys[used], old_values[used], distinct=True)


class LastSeen:
    """The last minute at which each key was counted, remembered for at least `window` minutes."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._current = HashTable()
        self._previous = HashTable()
        self._generation_start = _NEVER

    def _rotate(self, minute: int) -> None:
        if minute - self._generation_start >= self.window:
            if minute - self._generation_start >= 2 * self.window:
                self._previous = HashTable()
            else:
                self._previous = self._current
            # room for as many keys as the last generation had, without growing on the way
            self._current = HashTable(max(1 << 12, 4 * len(self._previous)))
            self._generation_start = minute

    def last(self, keys: npt.ArrayLike) -> _I64:
        return np.maximum(self._current.get(keys, _NEVER), self._previous.get(keys, _NEVER))

    def mark(self, keys: npt.ArrayLike, minute: int, *, distinct: bool = False) -> None:
        self._rotate(minute)
        k = np.asarray(keys, dtype=np.uint64)
        self._current.put(k, np.full(k.shape[0], minute, np.int64), distinct=distinct)

    def last_one(self, key: int) -> int:
        # the current generation is the later one: the previous is only asked for keys it lacks
        last = self._current.get_one(key, _NEVER)
        return last if last != _NEVER else self._previous.get_one(key, _NEVER)

    def mark_ones(self, keys: list[int], minute: int) -> None:
        """`mark` of a few keys, one by one."""
        self._rotate(minute)
        put = self._current.put_one
        for key in keys:
            put(key, minute)

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)


class WindowCounter:
    """How many times each key was seen in the current fixed window of `window` minutes."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._counts = HashTable()
        self._window_id = _NEVER

    def counts(self, keys: npt.ArrayLike, minute: int) -> _I64:
        if minute // self.window != self._window_id:
            return np.zeros(np.asarray(keys).shape[0], np.int64)
        return self._counts.get(keys, 0)

    def add(self, keys: npt.ArrayLike, amounts: npt.ArrayLike, minute: int) -> None:
        """Add `amounts` to distinct `keys`."""
        self._enter(minute)
        self._counts.add(np.asarray(keys, dtype=np.uint64), amounts)

    def count_one(self, key: int, minute: int) -> int:
        if minute // self.window != self._window_id:
            return 0
        return self._counts.get_one(key, 0)

    def add_ones(self, amounts: dict[int, int], minute: int) -> None:
        """`add` of a few keys, one by one."""
        self._enter(minute)
        add = self._counts.add_one
        for key, amount in amounts.items():
            add(key, amount)

    def _enter(self, minute: int) -> None:
        window_id = minute // self.window
        if window_id != self._window_id:
            self._counts = HashTable(max(1 << 12, 4 * len(self._counts)))
            self._window_id = window_id

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
