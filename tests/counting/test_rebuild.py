"""A counter rebuilt from the store after a take-over counts the next reports as the one that
stored them would have: each window from its own span, from the shard's own rows only."""

from __future__ import annotations

import numpy as np

from rasd.clock import VirtualClock, minute_start
from rasd.counting.aggregator import Aggregator
from rasd.signals.reports import ReportColumns, ReportCounter, decode_batch
from rasd.store import Store

M0 = 28_480_000 // 60 * 60 + 7  # an epoch minute, not on a window's edge
SERVICES = ("facebook", "instagram")


def _minute(rng: np.random.Generator, minute: int, service: int, n: int = 60) -> ReportColumns:
    # repeats, full networks and reporters over their limit all happen, each now and then
    return ReportColumns(
        ts_ms=np.sort(minute * 60_000 + rng.integers(0, 60_000, n)).astype(np.int64),
        service=np.full(n, service, np.int32),
        problem=np.zeros(n, np.int16),
        place=np.zeros(n, np.int32),
        reporter=rng.integers(1, 2000, n).astype(np.uint64),
        network=rng.integers(1, 300, n).astype(np.uint64),
        services=SERVICES,
        problems=("app",),
        places=("EG",),
    )


def _owns(service: str) -> bool:
    return service == "facebook"


def _counter() -> ReportCounter:
    # a reporter counts once a quarter hour per service: a limit of 3 an hour binds
    return ReportCounter(dedupe_minutes=15, network_limit=5, reporter_limit=3)


def test_a_take_over_counts_on_as_the_shard_before_it(store: Store) -> None:
    rng = np.random.default_rng(20)
    clock = VirtualClock(minute_start(M0))
    before = Aggregator(store, clock, reports=_counter(), shard=1, owns=_owns)
    taken_at = M0 + 80
    for i, minute in enumerate(range(M0, taken_at)):
        before.apply("reports", _minute(rng, minute, 0), f"m{i}")
    # another shard's rows, and rows that name no shard of a service not ours: the same people
    other = _counter().count(_minute(rng, taken_at - 1, 0, n=2000)).batch
    assert other is not None
    store.write_reports(other._replace(shard=2), {}, msg_id="other")
    unnamed = _counter().count(_minute(rng, taken_at - 2, 1, n=2000)).batch
    assert unnamed is not None
    store.write_reports(unnamed, {}, msg_id="unnamed")

    after = Aggregator(
        store, VirtualClock(minute_start(taken_at)), reports=_counter(), shard=1, owns=_owns
    )
    after.restore(taken_at)
    stored = sum(b.counted for b in store.counted_batches(0, shard=1) if b.shard == 1)
    assert 0 < after.rebuilt < stored  # the windows' spans, not the whole hour and more
    seen = np.zeros(4, np.int64)
    for minute in range(taken_at, taken_at + 70):
        cols = _minute(rng, minute, 0)
        a, b = before.reports.count(cols), after.reports.count(cols)
        assert a.batch is not None and b.batch is not None
        assert a.batch.data == b.batch.data  # each report for the same reason
        seen += np.bincount(decode_batch(a.batch)[1], minlength=4)
    assert seen.min() > 0  # counted, repeats, networks full, reporters over: all were there


def test_a_shard_stores_batches_under_its_name(store: Store) -> None:
    rng = np.random.default_rng(1)
    counting = Aggregator(store, VirtualClock(minute_start(M0)), shard=3, owns=_owns)
    counting.apply("reports", _minute(rng, M0, 0), "one")
    assert [b.shard for b in store.counted_batches(0)] == [3]
