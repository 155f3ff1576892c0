from __future__ import annotations

import mmap

import numpy as np

from rasd.signals.window import HashTable, LastSeen, WindowCounter, key_groups, occurrence_rank


def test_last_seen_remembers_for_at_least_the_window() -> None:
    seen = LastSeen(window=15)
    seen.mark([1, 2], minute=100)
    assert seen.last([1, 2, 3]).tolist()[:2] == [100, 100]
    assert seen.last([3])[0] < 0
    # still known 29 minutes later, through one rotation
    seen.mark([4], minute=115)
    assert seen.last([1])[0] == 100
    # two windows later the old generation is gone
    seen.mark([5], minute=130)
    assert seen.last([1])[0] < 0
    assert seen.last([4, 5]).tolist() == [115, 130]


def test_last_seen_forgets_everything_after_a_long_gap() -> None:
    seen = LastSeen(window=15)
    seen.mark([1], minute=0)
    seen.mark([2], minute=100)
    assert seen.last([1])[0] < 0
    assert len(seen) == 1


def test_window_counter_counts_within_a_fixed_window() -> None:
    counter = WindowCounter(window=60)
    counter.add([7, 8], [3, 1], minute=120)
    counter.add([7], [2], minute=130)
    assert counter.counts([7, 8, 9], minute=150).tolist() == [5, 1, 0]
    assert counter.counts([7], minute=180).tolist() == [0]
    counter.add([7], [1], minute=180)
    assert counter.counts([7, 8], minute=181).tolist() == [1, 0]


def test_occurrence_rank() -> None:
    keys = np.array([5, 3, 5, 5, 3, 9], dtype=np.uint64)
    assert occurrence_rank(keys).tolist() == [0, 0, 1, 2, 1, 0]
    assert occurrence_rank(np.array([], dtype=np.uint64)).tolist() == []


def test_occurrence_rank_agrees_with_counting_the_positions_before() -> None:
    """Many repeats among many distinct keys, full-width ones included: each position's rank
    is how many earlier positions hold its key, whatever order the sort left repeats in."""
    rng = np.random.default_rng(13)
    for size in (1, 2, 50, 5000):
        keys = rng.integers(0, max(2, size // 3), size, dtype=np.uint64)
        keys[rng.random(size) < 0.3] = np.uint64(2**64 - 1)
        before: dict[int, int] = {}
        want = []
        for key in keys.tolist():
            want.append(before.get(key, 0))
            before[key] = want[-1] + 1
        assert occurrence_rank(keys).tolist() == want


def test_hash_table_agrees_with_a_dict() -> None:
    rng = np.random.default_rng(7)
    table = HashTable(capacity=16)
    reference: dict[int, int] = {}
    for round_ in range(30):
        # small key space: many repeats, collisions and growth
        keys = rng.integers(0, 5000, 700, dtype=np.uint64)
        values = rng.integers(-1000, 1000, 700, dtype=np.int64)
        table.put(keys, values)
        for k, v in zip(keys.tolist(), values.tolist(), strict=True):
            reference[k if k else 1] = v
        probe = rng.integers(0, 6000, 500, dtype=np.uint64)
        got = table.get(probe, -7).tolist()
        want = [reference.get(k if k else 1, -7) for k in probe.tolist()]
        assert got == want, round_
    assert len(table) == len(reference)


def test_hash_table_add_agrees_with_a_dict() -> None:
    """Adding to distinct keys, some held and some new, through growth from a small table."""
    rng = np.random.default_rng(11)
    table = HashTable(capacity=16)
    reference: dict[int, int] = {}
    for _ in range(30):
        keys = np.unique(rng.integers(1, 4000, 500, dtype=np.uint64))
        amounts = rng.integers(1, 9, size=len(keys), dtype=np.int64)
        table.add(keys, amounts)
        for k, a in zip(keys.tolist(), amounts.tolist(), strict=True):
            reference[k] = reference.get(k, 0) + a
        probe = rng.integers(0, 4500, 400, dtype=np.uint64)
        assert table.get(probe, 0).tolist() == [reference.get(k or 1, 0) for k in probe.tolist()]
    assert len(table) == len(reference)


def test_hash_table_full_width_keys() -> None:
    table = HashTable()
    keys = np.array([2**64 - 1, 2**63, 12345, 0], dtype=np.uint64)
    table.put(keys, np.array([1, 2, 3, 4]))
    assert table.get(keys, 0).tolist() == [1, 2, 3, 4]
    assert table.get(np.array([2**64 - 2], dtype=np.uint64), 0).tolist() == [0]


def test_hash_table_put_of_distinct_keys_skips_nothing() -> None:
    """Keys the caller knows to be distinct land as they would through the checked path,
    through growth from a small table."""
    rng = np.random.default_rng(3)
    checked, trusted = HashTable(capacity=16), HashTable(capacity=16)
    put: list[np.ndarray] = []
    for _ in range(20):
        keys = np.unique(rng.integers(0, 2**64 - 1, 900, dtype=np.uint64))
        rng.shuffle(keys)
        values = rng.integers(-50, 50, keys.shape[0], dtype=np.int64)
        checked.put(keys, values)
        trusted.put(keys, values, distinct=True)
        put.append(keys)
    probe = np.concatenate([*put, rng.integers(0, 2**64 - 1, 2000, dtype=np.uint64)])
    assert len(checked) == len(trusted)
    assert checked.get(probe, -1).tolist() == trusted.get(probe, -1).tolist()


def test_hash_table_one_key_at_a_time_agrees_with_the_array_calls() -> None:
    """Single keys go through the same slots, through growth, full-width keys and key 0."""
    rng = np.random.default_rng(5)
    ones, arrays = HashTable(capacity=16), HashTable(capacity=16)
    for _ in range(40):
        keys = rng.integers(0, 3000, 60, dtype=np.uint64)
        keys[:2] = [0, 2**64 - 1]
        values = rng.integers(-99, 99, 60, dtype=np.int64)
        for key, value in zip(keys.tolist(), values.tolist(), strict=True):
            ones.put_one(key, value)
        arrays.put(keys, values)
        probe = rng.integers(0, 4000, 200, dtype=np.uint64)
        probe[:3] = [0, 1, 2**64 - 1]
        assert [ones.get_one(k, -5) for k in probe.tolist()] == arrays.get(probe, -5).tolist()
        assert arrays.get(probe, -5).tolist() == ones.get(probe, -5).tolist()
    assert len(ones) == len(arrays)


def test_windows_one_key_at_a_time_agree_with_the_array_calls() -> None:
    seen_ones, seen_arrays = LastSeen(15), LastSeen(15)
    counter_ones, counter_arrays = WindowCounter(15), WindowCounter(15)
    rng = np.random.default_rng(9)
    for minute in range(0, 100, 3):  # generations rotate and windows turn over on the way
        keys = np.unique(rng.integers(1, 500, 40, dtype=np.uint64))
        seen_ones.mark_ones(keys.tolist(), minute)
        seen_arrays.mark(keys, minute, distinct=True)
        amounts = {k: int(rng.integers(1, 4)) for k in keys.tolist()}
        counter_ones.add_ones(amounts, minute)
        counter_arrays.add(keys, np.array(list(amounts.values())), minute)
        probe = np.arange(0, 520, dtype=np.uint64)
        later = minute + int(rng.integers(0, 20))
        assert [seen_ones.last_one(k) for k in probe.tolist()] == seen_arrays.last(probe).tolist()
        assert [counter_ones.count_one(k, later) for k in probe.tolist()] == (
            counter_arrays.counts(probe, later).tolist()
        )


def test_hash_table_keeps_every_key_while_it_grows_a_bit_at_a_time() -> None:
    """Keys written, overwritten and added to while a growth is under way are all found,
    with their last values, and counted once, whichever table they are in."""
    rng = np.random.default_rng(11)
    table = HashTable(capacity=16)
    reference: dict[int, int] = {}
    grew_under_way = 0
    for _ in range(3000):
        key = int(rng.integers(1, 2**64 - 1, dtype=np.uint64))
        old = list(reference)[int(rng.integers(0, len(reference)))] if reference else key
        table.put_one(key, 3)
        reference[key] = 3
        table.add_one(old, 2)  # a key that may still sit in the old table only
        reference[old] = reference.get(old, 0) + 2
        grew_under_way += table.growing
        assert len(table) == len(reference)
    assert grew_under_way  # the checks above ran while keys were still moving
    assert [table.get_one(k, -1) for k in reference] == list(reference.values())
    probe = np.array(list(reference), np.uint64)
    assert table.get(probe, -1).tolist() == list(reference.values())


def test_hash_table_array_calls_during_a_growth_agree_with_a_dict() -> None:
    """A growth begun by single keys and carried on by array calls (and the reverse)."""
    rng = np.random.default_rng(13)
    table = HashTable(capacity=16)
    reference: dict[int, int] = {}
    for round_ in range(200):
        if round_ % 2:
            keys = rng.integers(0, 4000, 7, dtype=np.uint64)
            values = rng.integers(-9, 9, 7, dtype=np.int64)
            table.put(keys, values)
        else:
            keys = rng.integers(0, 4000, 5, dtype=np.uint64)
            values = rng.integers(-9, 9, 5, dtype=np.int64)
            for k, v in zip(keys.tolist(), values.tolist(), strict=True):
                table.put_one(k, v)
        for k, v in zip(keys.tolist(), values.tolist(), strict=True):
            reference[k or 1] = v
        assert len(table) == len(reference), round_
    probe = np.arange(0, 4100, dtype=np.uint64)
    want = [reference.get(k or 1, -7) for k in probe.tolist()]
    assert table.get(probe, -7).tolist() == want
    assert [table.get_one(k, -7) for k in probe.tolist()] == want


def test_large_tables_are_mapped_and_start_empty() -> None:
    """Tables past a megabyte take their memory from their own mapping: zeroed, writable."""
    table = HashTable(capacity=1 << 18)
    assert isinstance(getattr(table._keys.base, "obj", None), mmap.mmap)
    assert not table._keys.any() and not table._values.any()
    table.put_one(2**64 - 1, 5)
    assert table.get_one(2**64 - 1, 0) == 5
    assert len(table) == 1


def test_hash_table_add_during_a_growth_adds_to_keys_not_moved_yet() -> None:
    rng = np.random.default_rng(17)
    table = HashTable(capacity=16)
    reference: dict[int, int] = {}
    under_way = 0
    for round_ in range(300):
        keys = np.unique(rng.integers(1, 3000, 6, dtype=np.uint64))
        amounts = rng.integers(1, 5, size=len(keys), dtype=np.int64)
        if round_ % 3:
            table.add(keys, amounts)
        else:
            for k, a in zip(keys.tolist(), amounts.tolist(), strict=True):
                table.add_one(k, a)
        for k, a in zip(keys.tolist(), amounts.tolist(), strict=True):
            reference[k] = reference.get(k, 0) + a
        assert len(table) == len(reference), round_
        under_way += table.growing
    assert under_way
    probe = np.arange(0, 3100, dtype=np.uint64)
    assert table.get(probe, 0).tolist() == [reference.get(k or 1, 0) for k in probe.tolist()]


def test_each_generation_has_room_for_the_keys_it_was_sized_for() -> None:
    seen, counter = LastSeen(15, capacity=1 << 15), WindowCounter(15, capacity=1 << 15)
    for minute in (0, 15, 30, 60):  # the first window, the next ones, one after a gap
        keys = list(range(minute * 100_000 + 1, minute * 100_000 + 6_001))
        seen.mark_ones(keys, minute)
        counter.add_ones(dict.fromkeys(keys, 1), minute)
        # grown from the default size, the first would have grown to 16,384 slots
        assert len(seen._current._keys) == len(counter._counts._keys) == 1 << 15
        assert all(seen.last_one(key) == minute for key in keys)
        assert all(counter.count_one(key, minute) == 1 for key in keys)


def test_key_groups_agree_with_unique_and_counting_the_positions_before() -> None:
    rng = np.random.default_rng(17)
    for size in (0, 1, 2, 7, 50, 5000):
        keys = rng.integers(0, max(2, size // 3), size, dtype=np.uint64)
        keys[rng.random(size) < 0.2] = np.uint64(2**64 - 1)
        distinct, group, rank = key_groups(keys)
        assert distinct.tolist() == np.unique(keys).tolist()
        assert distinct[group].tolist() == keys.tolist()
        assert rank.tolist() == occurrence_rank(keys).tolist()
    distinct, group, rank = key_groups(np.array([9, 4, 7], np.uint64))  # no repeats
    assert (distinct.tolist(), group.tolist(), rank.tolist()) == ([4, 7, 9], [2, 0, 1], [0, 0, 0])


def test_writes_to_the_slots_a_look_up_found_agree_with_a_dict() -> None:
    """A small table that grows on the way: writes to found slots, and those that fall back
    to a plain write (the table grew, or is growing), keep what a dict keeps."""
    rng = np.random.default_rng(19)
    table, want = HashTable(16), dict[int, int]()
    for step in range(300):
        keys = np.unique(rng.integers(0, 3000, int(rng.integers(0, 60)), dtype=np.uint64))
        got, found = table.lookup(keys, -1)
        assert got.tolist() == [want.get(k or 1, -1) for k in keys.tolist()]
        at = np.flatnonzero(rng.random(keys.shape[0]) < 0.7)
        values = rng.integers(1, 50, at.shape[0])
        add = bool(step % 2)
        table.write_found(found, at, values, add=add)
        for key, value in zip(keys[at].tolist(), values.tolist(), strict=True):
            key = key or 1
            want[key] = want.get(key, 0) + value if add else value
        assert len(table) == len(want)
    every = np.array(list(want), np.uint64)
    assert table.get(every, -1).tolist() == list(want.values())


def test_windows_by_found_slots_agree_with_the_plain_calls() -> None:
    """Look-ups then writes by their slots, against `last`/`mark` and `counts`/`add`: minutes
    now and then out of order, generations rotating and windows turning over."""
    rng = np.random.default_rng(23)
    seen_found, seen_plain = LastSeen(15, 64), LastSeen(15, 64)
    counter_found, counter_plain = WindowCounter(15, 64), WindowCounter(15, 64)
    minute = 0
    for _ in range(200):
        minute += int(rng.integers(-3, 5))
        keys = np.unique(rng.integers(1, 800, int(rng.integers(1, 80)), dtype=np.uint64))
        last, found = seen_found.last_found(keys, minute)
        assert last.tolist() == seen_plain.last(keys).tolist()
        at = np.flatnonzero(rng.random(keys.shape[0]) < 0.6)
        seen_found.mark_found(found, at, minute)
        seen_plain.mark(keys[at], minute, distinct=True)
        used, found = counter_found.counts_found(keys, minute)
        assert used.tolist() == counter_plain.counts(keys, minute).tolist()
        amounts = rng.integers(1, 4, at.shape[0])
        counter_found.add_found(found, at, amounts, minute)
        counter_plain.add(keys[at], amounts, minute)
        probe = np.arange(0, 820, dtype=np.uint64)
        assert seen_found.last(probe).tolist() == seen_plain.last(probe).tolist()
        assert counter_found.counts(probe, minute).tolist() == (
            counter_plain.counts(probe, minute).tolist()
        )


def test_an_emptied_table_starts_empty_and_forgets_its_look_ups() -> None:
    table = HashTable(128)
    keys = np.arange(1, 40, dtype=np.uint64)
    table.put(keys, keys.astype(np.int64) * 2)
    _, stale = table.lookup(keys, -1)
    again = table.emptied(128)
    assert again is table  # the same size: the same memory
    assert len(again) == 0 and again.get(keys, -1).tolist() == [-1] * 39
    # the slots found before the clearing are not used: the write probes afresh
    again.write_found(stale, np.arange(3), np.array([5, 6, 7]), add=True)
    assert again.get(keys[:4], 0).tolist() == [5, 6, 7, 0] and len(again) == 3
    assert table.emptied(1 << 12) is not table  # another size: a table of its own
    assert len(HashTable(64).emptied(64)) == 0
