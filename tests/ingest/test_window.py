from __future__ import annotations

import numpy as np

from rasd.ingest.window import LastSeen, WindowCounter, occurrence_rank


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
