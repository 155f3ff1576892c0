"""Detection in the cluster: watermarks, warming from the store, checkpoints a new leader
can go on from."""

from __future__ import annotations

import pytest

from rasd.catalog import load_catalog
from rasd.cluster.detector import cluster_watermark
from rasd.cluster.shard import watermark_key
from rasd.pipeline.checkpoint import dump_engine, load_engine, warm_from_store
from rasd.pipeline.engine import DetectionEngine
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.store import Store, open_store

M0 = 28_480_000  # an epoch minute (2024-02-24)
GH = SeriesKey("github", REPORTS, WORLD)
GH_US = SeriesKey("github", REPORTS, "US")


@pytest.fixture
def store() -> Store:
    s = open_store("sqlite:///:memory:")
    s.migrate()
    return s


def _usual(minute: int) -> int:
    return 3 + (minute * 7) % 5


def _fill(store: Store, first: int, last: int, spike: range = range(0)) -> None:
    increments = {}
    for m in range(first, last):
        n = _usual(m) * (40 if m in spike else 1)
        increments[(GH, m)] = n
        increments[(GH_US, m)] = n // 2
    store.add_counts(increments)


def test_cluster_watermark_waits_for_every_shard(store: Store) -> None:
    assert cluster_watermark(store, "S", 3) is None
    store.put_state(watermark_key("S", 0), b"12")
    store.put_state(watermark_key("S", 2), b"15")
    assert cluster_watermark(store, "S", 3) is None
    store.put_state(watermark_key("S", 1), b"11")
    assert cluster_watermark(store, "S", 3) == 11


def test_warm_from_store_learns_watched_series_only(store: Store) -> None:
    catalog = load_catalog()
    _fill(store, M0 - 1440, M0)
    store.add_counts({(SeriesKey("github", "problem:login", WORLD), M0 - 5): 9})
    store.add_counts({(SeriesKey("not-a-service", REPORTS, WORLD), M0 - 5): 9})
    engine = DetectionEngine(store, catalog)
    assert warm_from_store(engine, store, M0, days=1) == 2
    assert engine.last_minute == M0 - 1
    assert set(engine.bank.keys) == {GH, GH_US}


def test_a_checkpoint_goes_on_exactly_where_it_stopped(store: Store) -> None:
    catalog = load_catalog()
    spike = range(M0 + 30, M0 + 70)
    _fill(store, M0 - 2 * 1440, M0 + 120, spike)
    leader = DetectionEngine(store, catalog)
    warm_from_store(leader, store, M0, days=2)
    for m in range(M0, M0 + 40):
        leader.tick(m)
    assert leader.tracker.open_incidents(), "the spike opens an incident"
    blob = dump_engine(leader)

    follower = DetectionEngine(store, catalog)
    load_engine(follower, blob)
    assert follower.last_minute == M0 + 39
    for m in range(M0 + 40, M0 + 120):
        a = [(c.kind, c.incident.to_dict()) for c in leader.tick(m)]
        b = [(c.kind, c.incident.to_dict()) for c in follower.tick(m)]
        assert a == b
    assert [i.to_dict() for i in follower.tracker.incidents()] == [
        i.to_dict() for i in leader.tracker.incidents()
    ]
