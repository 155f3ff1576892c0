"""Sliding-window bookkeeping over millions of keys, vectorised with numpy.

Keys are 64-bit hashes. They live in open-addressing hash tables held in numpy arrays, so a
minute of tens of thousands of reports is looked up and recorded in a few array operations
instead of a Python loop. Two generations that rotate every window make forgetting O(1).

A few keys at a time (the single reports of a handful of requests) are looked up one by one
instead (the `_one` methods), over the same arrays: an array operation costs microseconds
however few keys it holds, and a key alone takes a fraction of one.
"""

from __future__ import annotations

import mmap
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

_NEVER = -(1 << 62)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint64(0)
_MIX_INT = int(_MIX)
_BITS64 = (1 << 64) - 1
_U64 = npt.NDArray[np.uint64]
_I64 = npt.NDArray[np.int64]
# from this size on a table's arrays are mapped by the table itself (see `_zeros`)
_MAPPED_BYTES = 1 << 20


def _zeros(n: int, dtype: type[np.generic]) -> npt.NDArray[np.generic]:
    """A zeroed array of `n` items, in pages of the ordinary size.

    numpy asks the kernel for huge pages for its large arrays, and the first write to each
    2 MB page of a fresh table then waits for the kernel to find and clear one: stalls of
    10 to 80 ms on a busy machine, right after a table grows. Anonymous memory mapped here is
    zeroed by the kernel a 4 KB page at a time, as the table fills.
    """
    size = n * np.dtype(dtype).itemsize
    if size < _MAPPED_BYTES:
        return np.zeros(n, dtype)
    memory = mmap.mmap(-1, size)
    if hasattr(mmap, "MADV_NOHUGEPAGE"):  # also where huge pages are the system's default
        memory.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(memory, dtype)


def _nonzero(keys: npt.ArrayLike) -> _U64:
    """Key 0 marks an empty slot; a real 0 is folded onto 1 (one hash in 2**64)."""
    k = np.asarray(keys, dtype=np.uint64)
    return np.where(k == _EMPTY, np.uint64(1), k)


class Found(NamedTuple):
    """Keys looked up in a table, and where: a write that follows the look-up with no write
    between puts them in those slots without probing for them again."""

    keys: _U64  # as stored (nonzero)
    slots: _I64 | None  # in `table`'s arrays; None where they cannot be used (a growth)
    here: npt.NDArray[np.bool_] | None  # which of the slots hold their key
    table: object = None  # the key array the slots index, to tell they still do


# old slots moved into the grown table at each insert: a table four times as large fills to
# half after at least 1.5 old capacities of inserts, and the old one is empty after a quarter
_MOVED_PER_INSERT = 4


class HashTable:
    """uint64 keys to int64 values; linear probing, grown at half full.

    Growing never rehashes the whole table at once: the grown table starts empty beside the
    old one, which is only read from then on, and each insert moves a few of the old slots
    over, so that a table of a million keys grows without stopping its caller for the tens
    of milliseconds a full rehash takes. A key not yet moved is found in the old table; a key
    written meanwhile is written to the new one, which is read first.
    """

    def __init__(self, capacity: int = 1 << 12) -> None:
        self._allocate(capacity)
        self.size = 0
        self._old: HashTable | None = None
        self._moved = 0  # the old table's slots before this one are in the new table

    def _allocate(self, capacity: int) -> None:
        size = 1 << max(4, int(capacity - 1).bit_length())
        # fresh pages are mapped lazily: a large table costs its memory as it fills
        self._keys: _U64 = _zeros(size, np.uint64)  # type: ignore[assignment]
        self._values: _I64 = _zeros(size, np.int64)  # type: ignore[assignment]
        # the same memory seen as Python ints: one slot read costs nanoseconds, not a numpy call
        self._key_slots = self._keys.data
        self._value_slots = self._values.data
        self._shift_int = 64 - (size.bit_length() - 1)
        self._shift = np.uint64(self._shift_int)
        self._mask = size - 1

    def __len__(self) -> int:
        return self.size

    def emptied(self, capacity: int) -> HashTable:
        """An empty table with room for `capacity` keys, for a caller done with this one: this
        table cleared, where its arrays are the size such a table has and most of their pages
        hold keys (four keys a 4 KB page), else a new one. The pages of a fresh large table
        fault in one by one as keys land on them, read and then written, which costs several
        times clearing memory already in place (a 4M-slot table filled with 630,000 keys:
        80 ms fresh and freed, 18 ms cleared and filled)."""
        size = 1 << max(4, int(capacity - 1).bit_length())
        # a table of few keys has touched few of its pages: clearing would fault in the rest
        if self._old is not None or size != self._keys.shape[0] or self.size * 128 < size:
            return HashTable(capacity)
        self._keys.fill(0)
        self._values.fill(0)
        # new array objects over the same memory: slots found before (`Found`) no longer match
        self._keys, self._values = self._keys.view(), self._values.view()
        self._key_slots = self._keys.data
        self._value_slots = self._values.data
        self.size = 0
        self._moved = 0
        return self

    @property
    def growing(self) -> bool:
        """Whether keys are still being moved from the table before the last growth."""
        return self._old is not None

    def _home(self, keys: _U64) -> _I64:
        with np.errstate(over="ignore"):
            # below 2**(64 - shift): the bits read as int64 unchanged, no copy made
            return ((keys * _MIX) >> self._shift).view(np.int64)

    def _found(self, keys: _U64) -> tuple[_I64, npt.NDArray[np.bool_]]:
        """The slots of `keys` in this table's own arrays (or the empty slot where each probe
        ended), and which of them hold their key. Most keys end at their home slot, at a
        table at most half full: the first round reads every key's slot once, and only the
        few keys that probe on are read again (each read of a large table misses the cache)."""
        pos = self._home(keys)
        held = self._keys[pos]
        here = held == keys
        pending = np.flatnonzero(~here & (held != _EMPTY))
        while pending.size:
            at = (pos[pending] + 1) & self._mask
            pos[pending] = at
            held = self._keys[at]
            hit = held == keys[pending]
            here[pending[hit]] = True
            pending = pending[~hit & (held != _EMPTY)]
        return pos, here

    def get(self, keys: npt.ArrayLike, default: int) -> _I64:
        k = _nonzero(keys)
        if k.size == 0 or self.size == 0:
            return np.full(k.shape[0], default, np.int64)
        slots, here = self._found(k)
        out = np.where(here, self._values[slots], np.int64(default))
        if self._old is not None and not here.all():
            missing = np.flatnonzero(~here)
            out[missing] = self._old.get(k[missing], default)
        return out

    def lookup(self, keys: npt.ArrayLike, default: int) -> tuple[_I64, Found]:
        """`get`, and where the keys were found, for a write of some of them that follows
        (`write_found`): each probe of a large table misses the cache, and that write would
        probe for the same keys again."""
        k = _nonzero(keys)
        if self._old is not None:  # the keys may be in either table: no slots to keep
            return self.get(k, default), Found(k, None, None)
        slots, here = self._found(k)
        return np.where(here, self._values[slots], np.int64(default)), Found(
            k, slots, here, self._keys
        )

    def write_found(self, found: Found, at: _I64, values: _I64, *, add: bool) -> None:
        """Sets (or with `add` adds) `values` to the distinct keys `found.keys[at]`, by the
        slots their look-up found, which no write has changed since."""
        k = found.keys[at]
        usable = (
            found.slots is not None
            and found.table is self._keys
            and (self.size + k.size) * 2 <= self._keys.shape[0]
        )
        if not usable:  # the table grows, or grew since: as `add` or `put` would
            if add:
                self.add(k, values)
            else:
                self.put(k, values, distinct=True)
            return
        assert found.slots is not None and found.here is not None
        slots, here = found.slots[at], found.here[at]
        held = slots[here]
        if add:
            self._values[held] += values[here]
        else:
            self._values[held] = values[here]
        if not here.all():
            # their probes ended at empty slots: they are written there, not probed again
            new = ~here
            fresh, more = self._claim(k[new], values[new], slots[new])
            self._place(fresh, more)

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
        known = 0
        if self._old is not None:
            self._move_many(k.size * _MOVED_PER_INSERT)
        if self._old is not None:
            # keys still only in the old table are counted already
            _, here = self._found(k)
            known = self._old.count_present(k[~here])
        self._place(k, v)
        self.size -= known

    def count_present(self, keys: _U64) -> int:
        """How many of `keys` (nonzero, as stored) this table holds, in its own arrays."""
        if keys.size == 0 or self.size == 0:
            return 0
        return int(np.count_nonzero(self._found(keys)[1]))

    def _place(self, k: _U64, v: _I64) -> None:
        """Writes distinct keys into this table's own arrays; `size` grows by those it lacked."""
        while k.size:
            slots, present = self._found(k)
            self._values[slots[present]] = v[present]
            k, v, slots = k[~present], v[~present], slots[~present]
            if not k.size:
                return
            k, v = self._claim(k, v, slots)

    def _claim(self, k: _U64, v: _I64, slots: _I64) -> tuple[_U64, _I64]:
        """Writes distinct keys new to this table into the empty slots their probes ended at;
        returns those that lost their slot to another key, which probe on."""
        # new keys that probe to the same empty slot: one of them takes it (the one whose key
        # reads back there), the rest probe on; no sort to find who came first
        self._keys[slots] = k
        took = self._keys[slots] == k
        self._values[slots[took]] = v[took]
        self.size += int(np.count_nonzero(took))
        lost = ~took
        return k[lost], v[lost]

    def add(self, keys: npt.ArrayLike, amounts: npt.ArrayLike) -> None:
        """Adds `amounts` to distinct `keys` (0 for a key not held yet): the keys held are
        found in one probe, where a `get` and then a `put` would probe for every key twice."""
        k = _nonzero(keys)
        if k.size == 0:
            return
        a = np.asarray(amounts, dtype=np.int64)
        if (self.size + k.size) * 2 > self._keys.shape[0]:
            self._grow(self.size + k.size)
        if self._old is not None:
            self._move_many(k.size * _MOVED_PER_INSERT)
        slots, held = self._found(k)
        self._values[slots[held]] += a[held]
        if not held.all():
            new = ~held
            fresh, more = k[new], a[new]
            if self._old is None:
                # their probes ended at empty slots: they are written there, not probed again
                fresh, more = self._claim(fresh, more, slots[new])
                self._place(fresh, more)
                return
            # a key not moved over yet adds to its old value
            more = more + self._old.get(fresh, 0)
            self.put(fresh, more, distinct=True)

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
                old = self._old
                return default if old is None else old.get_one(key, default)
            pos = (pos + 1) & mask
            held = slots[pos]
        return self._value_slots[pos]

    def position(self, key: int) -> int:
        """The slot of `key` (nonzero) in this table's own arrays, or -1."""
        slots, mask = self._key_slots, self._mask
        pos = ((key * _MIX_INT) & _BITS64) >> self._shift_int
        held = slots[pos]
        while held != key:
            if not held:
                return -1
            pos = (pos + 1) & mask
            held = slots[pos]
        return pos

    def put_one(self, key: int, value: int) -> None:
        """`put` of one key."""
        pos = self._slot_for(key or 1)  # first: it may grow the table
        self._value_slots[pos] = value

    def add_one(self, key: int, amount: int) -> None:
        """Adds to one key's value (0 if it had none), in one probe."""
        pos = self._slot_for(key or 1)
        self._value_slots[pos] += amount

    def _slot_for(self, key: int) -> int:
        """The slot holding `key`, taken for it if it had none, with the value it had in the
        old table (an empty slot's value is 0)."""
        if (self.size + 1) * 2 > self._keys.shape[0]:
            self._grow(self.size + 1)
        old = self._old
        if old is not None:
            self._move_some(_MOVED_PER_INSERT)
            old = self._old
        slots, mask = self._key_slots, self._mask
        pos = ((key * _MIX_INT) & _BITS64) >> self._shift_int
        held = slots[pos]
        while held != key:
            if not held:
                slots[pos] = key
                at = -1 if old is None else old.position(key)
                if at >= 0:  # counted already: its value comes along
                    self._value_slots[pos] = old._value_slots[at]  # type: ignore[union-attr]
                else:
                    self.size += 1
                return pos
            pos = (pos + 1) & mask
            held = slots[pos]
        return pos

    def _grow(self, needed: int) -> None:
        """Starts a table four times `needed`; the keys come over from the old one bit by bit."""
        if self._old is not None:  # a growth before the last one ended: it ends now
            self._move_many(self._old._keys.shape[0])
        old = HashTable.__new__(HashTable)
        old.__dict__.update(self.__dict__)
        self._allocate(needed * 4)
        self._old, self._moved = old, 0

    def _move_some(self, n: int) -> None:
        """Moves the next `n` slots of the old table over, one key at a time."""
        old = self._old
        assert old is not None
        start = self._moved
        end = min(start + n, old._keys.shape[0])
        keys, values = old._key_slots, old._value_slots
        slots, mask, shift = self._key_slots, self._mask, self._shift_int
        for i in range(start, end):
            key = keys[i]
            if not key:
                continue
            pos = ((key * _MIX_INT) & _BITS64) >> shift
            held = slots[pos]
            while held and held != key:
                pos = (pos + 1) & mask
                held = slots[pos]
            if not held:  # else it was written since, and the later value stands
                slots[pos] = key
                self._value_slots[pos] = values[i]
        self._moved = end
        if end == old._keys.shape[0]:
            self._old = None

    def _move_many(self, n: int) -> None:
        """`_move_some` in array operations, for many slots at once."""
        old = self._old
        assert old is not None
        start = self._moved
        end = min(start + n, old._keys.shape[0])
        keys = old._keys[start:end]
        used = np.flatnonzero(keys != _EMPTY)
        if used.size:
            k, v = keys[used], old._values[start:end][used]
            _, here = self._found(k)
            size = self.size  # moved keys were counted already
            self._place(k[~here], v[~here])
            self.size = size
        self._moved = end
        if end == old._keys.shape[0]:
            self._old = None


class LastSeen:
    """The last minute at which each key was counted, remembered for at least `window` minutes."""

    def __init__(self, window: int, capacity: int = 1 << 12) -> None:
        """`capacity`: the keys a new generation has room for at least (see `HashTable`)."""
        self.window = window
        self.capacity = capacity
        self._current = HashTable(capacity)
        self._previous = HashTable()
        self._generation_start = _NEVER

    def _rotate(self, minute: int) -> None:
        if minute - self._generation_start >= self.window:
            spare = self._previous  # forgotten now: its memory can take the new generation
            if minute - self._generation_start >= 2 * self.window:
                self._previous = HashTable()
            else:
                self._previous = self._current
            # room for as many keys as the last generation had, without growing on the way
            self._current = spare.emptied(max(self.capacity, 4 * len(self._previous)))
            self._generation_start = minute

    def last(self, keys: npt.ArrayLike) -> _I64:
        return np.maximum(self._current.get(keys, _NEVER), self._previous.get(keys, _NEVER))

    def last_found(self, keys: npt.ArrayLike, minute: int) -> tuple[_I64, Found]:
        """`last`, and where the keys are in the generation a mark at `minute` writes to
        (`mark_found`)."""
        current, found = self._current.lookup(keys, _NEVER)
        last = np.maximum(current, self._previous.get(found.keys, _NEVER))
        if minute - self._generation_start >= self.window:  # a new generation takes the mark
            found = found._replace(slots=None)
        return last, found

    def mark_found(self, found: Found, at: _I64, minute: int) -> None:
        """`mark` of the distinct keys `found.keys[at]`, looked up by `last_found` at this
        minute with no mark since."""
        self._rotate(minute)
        self._current.write_found(found, at, np.full(at.shape[0], minute, np.int64), add=False)

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

    def __init__(self, window: int, capacity: int = 1 << 12) -> None:
        """`capacity`: the keys a new window has room for at least (see `HashTable`)."""
        self.window = window
        self.capacity = capacity
        self._counts = HashTable(capacity)
        self._window_id = _NEVER

    def counts(self, keys: npt.ArrayLike, minute: int) -> _I64:
        if minute // self.window != self._window_id:
            return np.zeros(np.asarray(keys).shape[0], np.int64)
        return self._counts.get(keys, 0)

    def counts_found(self, keys: npt.ArrayLike, minute: int) -> tuple[_I64, Found]:
        """`counts`, and where the keys are, for `add_found`."""
        if minute // self.window != self._window_id:  # the add starts a window of its own
            k = _nonzero(keys)
            return np.zeros(k.shape[0], np.int64), Found(k, None, None)
        return self._counts.lookup(keys, 0)

    def add_found(self, found: Found, at: _I64, amounts: _I64, minute: int) -> None:
        """`add` to the distinct keys `found.keys[at]`, looked up by `counts_found` at this
        minute with no add since."""
        self._enter(minute)
        self._counts.write_found(found, at, amounts, add=True)

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
            self._counts = self._counts.emptied(max(self.capacity, 4 * len(self._counts)))
            self._window_id = window_id

    def __len__(self) -> int:
        return len(self._counts)


def key_groups(keys: npt.NDArray[np.uint64]) -> tuple[_U64, npt.NDArray[np.intp], _I64]:
    """The distinct keys in ascending order (as `np.unique`), the index among them of each
    position's key, and each position's occurrence rank: how many earlier positions hold the
    same key (0 for the first). One sort gives all three."""
    n = keys.shape[0]
    if n <= 1:  # a single report: nothing to sort
        return keys, np.zeros(n, np.intp), np.zeros(n, np.int64)
    # numpy's unstable sort is several times faster than its stable one on 64-bit keys; the
    # few keys that repeat are then put back in the order of their positions
    order = np.argsort(keys)
    sorted_keys = keys[order]
    starts = np.ones(n, bool)
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts[1:])
    group = np.empty(n, np.intp)
    rank = np.zeros(n, np.int64)
    if starts.all():  # as mostly: no key repeats
        group[order] = np.arange(n)
        return sorted_keys, group, rank
    repeated = ~starts
    repeated[:-1] |= repeated[1:]
    at = np.flatnonzero(repeated)
    # whole groups, in key order: sorting them by key, then position, keeps their places
    order[at] = order[at][np.lexsort((order[at], sorted_keys[at]))]
    group_sorted = np.cumsum(starts) - 1
    group[order] = group_sorted
    rank[order] = np.arange(n) - np.flatnonzero(starts)[group_sorted]
    return sorted_keys[starts], group, rank


def occurrence_rank(keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """For each position, how many earlier positions hold the same key (0 for the first)."""
    return key_groups(keys)[2]
