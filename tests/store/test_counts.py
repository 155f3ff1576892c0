"""The counts part of the store (raw batches, counts by series and minute, message ids,
retention), run on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Connection

from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.signals.reports import ReportColumns, batch_rows, encode_batch
from rasd.store import RawBatch, Store, schema
from rasd.store.counts import CountStore

FB = SeriesKey("facebook", REPORTS, WORLD)
FB_EG = SeriesKey("facebook", REPORTS, "EG")
IG = SeriesKey("instagram", REPORTS, WORLD)
M0 = 27_222_000  # an epoch minute on a whole hour (2021-10-04 00:00 UTC)


def _batch(ts_ms: list[int], service: str = "facebook") -> RawBatch:
    n = len(ts_ms)
    cols = ReportColumns(
        ts_ms=np.array(ts_ms, np.int64),
        service=np.zeros(n, np.int32),
        problem=np.zeros(n, np.int16),
        place=np.zeros(n, np.int32),
        reporter=np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15),
        network=np.arange(n, dtype=np.uint64),
        services=(service,),
        problems=("login",),
        places=("EG/Cairo",),
    )
    return encode_batch(cols, np.ones(n, bool), np.zeros(n, np.int8))


def test_write_reports_is_idempotent_by_message_id(store: CountStore) -> None:
    batch = _batch([M0 * 60_000, M0 * 60_000 + 5_000])
    increments = {(FB, M0): 2, (FB_EG, M0): 2}
    assert store.write_reports(batch, increments, msg_id="m-1") is True
    assert store.write_reports(batch, increments, msg_id="m-1") is False
    assert store.total(FB, M0, M0 + 1) == 2
    assert store.total(FB_EG, M0, M0 + 1) == 2
    assert store.count_reports() == 2
    # no message id: nothing to dedupe by, so a second write counts again
    assert store.write_reports(None, {(FB, M0): 1}) is True
    assert store.write_reports(None, {(FB, M0): 1}) is True
    assert store.total(FB, M0, M0 + 1) == 4


def test_add_counts_upserts_and_dedupes(store: CountStore) -> None:
    assert store.add_counts({(IG, M0): 3, (IG, M0 + 1): 1}, msg_id="p-1")
    assert store.add_counts({(IG, M0): 4}, msg_id="p-2")
    assert not store.add_counts({(IG, M0): 100}, msg_id="p-1")
    assert store.read_counts(IG, M0, M0 + 3).values == [7, 1, 0]
    assert store.series_keys() == [IG]
    assert store.series_keys(service="facebook") == []
    assert store.series_keys(signal=REPORTS) == [IG]


def test_many_counts_in_one_write_add_up(store: CountStore) -> None:
    # more rows than one statement takes (SQLite upserts them many a statement, and makes the
    # 91 new series 64, 8 and 1 a statement), twice over
    keys = [SeriesKey(f"service-{i}", REPORTS, WORLD) for i in range(91)]
    increments = {(key, M0 + m): 1 + i + m for i, key in enumerate(keys) for m in range(3)}
    assert len(increments) == 273  # 256 + 16 + 1
    assert store.add_counts(increments, msg_id="many-1")
    assert store.add_counts(dict(increments), msg_id="many-2")
    stored = store.read_minutes(M0, M0 + 3)
    assert {(key, m): n for key, row in stored.items() for m, n in row.items()} == {
        at: 2 * n for at, n in increments.items()
    }


def test_a_failed_write_leaves_no_trace(store: Store) -> None:
    def claim_then_fail(conn: Connection) -> None:
        conn.execute(schema.applied.insert(), {"msg_id": "once", "applied_ms": 1})
        raise RuntimeError("fails after claiming")

    with pytest.raises(RuntimeError):
        store.write(claim_then_fail)
    assert store.add_counts({(FB, M0): 1}, msg_id="once")
    assert store.total(FB, M0, M0 + 1) == 1


def test_read_counts_in_steps(store: CountStore) -> None:
    store.add_counts({(FB, M0 + m): m + 1 for m in range(10)})
    five = store.read_counts(FB, M0, M0 + 10, step=5)
    assert five.minutes == [M0, M0 + 5]
    assert five.values == [1 + 2 + 3 + 4 + 5, 6 + 7 + 8 + 9 + 10]
    # a start inside a bucket begins at that bucket's start
    shifted = store.read_counts(FB, M0 + 2, M0 + 10, step=5)
    assert shifted.minutes == [M0, M0 + 5]
    assert shifted.values == five.values
    unknown = store.read_counts(SeriesKey("nobody", REPORTS), M0, M0 + 3)
    assert unknown.values == [0, 0, 0]
    with pytest.raises(ValueError):
        store.read_counts(FB, M0, M0 + 10, step=0)


def test_prune_rolls_whole_hours_up_and_keeps_totals(store: CountStore) -> None:
    store.add_counts({(FB, M0 + m): 1 for m in range(150)})  # two and a half hours
    store.write_reports(_batch([M0 * 60_000]), {}, msg_id="old")
    now = M0 + 150
    store.prune(now, raw_keep_minutes=60, minute_keep_minutes=40)
    # the cutoff (now - 40 = M0 + 110) falls back to the whole hour M0 + 60
    assert store.read_minutes(M0, M0 + 60) == {}
    assert store.read_minutes(M0 + 60, M0 + 61) == {FB: {M0 + 60: 1}}
    hourly = store.read_counts(FB, M0, M0 + 120, step=60)
    assert hourly.values == [60, 60]
    # a rolled-up hour spreads evenly over finer buckets
    assert store.read_counts(FB, M0, M0 + 60, step=15).values == [15, 15, 15, 15]
    assert store.total(FB, M0, M0 + 150) == 150
    assert store.recent_batches(0) == []
    assert store.count_reports() == 0
    # pruning again adds nothing twice
    store.prune(now, raw_keep_minutes=60, minute_keep_minutes=40)
    assert store.total(FB, M0, M0 + 150) == 150


def test_prune_takes_a_backlog_of_hours_and_a_stray_old_time(store: CountStore) -> None:
    store.add_counts({(FB, M0 + m): 2 for m in range(0, 6 * 60, 7)})  # six hours, every 7 min
    store.add_counts({(FB_EG, 60): 1})  # a minute of 1970
    store.write_reports(_batch([0]), {}, msg_id="stray")
    store.write_reports(_batch([M0 * 60_000]), {}, msg_id="old")
    store.write_reports(_batch([(M0 + 300) * 60_000]), {}, msg_id="kept")
    store.prune(M0 + 6 * 60, raw_keep_minutes=120, minute_keep_minutes=60)
    assert store.count_reports() == 1  # only the batch of the last two hours
    assert store.read_minutes(0, M0 + 5 * 60) == {}
    kept = store.read_minutes(M0 + 5 * 60, M0 + 6 * 60)[FB]
    assert kept == {M0 + m: 2 for m in range(0, 6 * 60, 7) if m >= 5 * 60}
    assert store.total(FB, M0, M0 + 6 * 60) == 2 * len(range(0, 6 * 60, 7))
    assert store.read_counts(FB, M0, M0 + 5 * 60, step=60).values == [
        2 * sum(1 for m in range(h * 60, h * 60 + 60) if m % 7 == 0) for h in range(5)
    ]
    assert store.total(FB_EG, 0, 120) == 1


def test_read_minutes_returns_every_series_in_range(store: CountStore) -> None:
    store.add_counts({(FB, M0): 5, (FB_EG, M0): 2, (IG, M0 + 1): 1, (IG, M0 + 5): 9})
    assert store.read_minutes(M0, M0 + 2) == {
        FB: {M0: 5},
        FB_EG: {M0: 2},
        IG: {M0 + 1: 1},
    }
    assert store.read_minutes(M0 + 2, M0 + 5) == {}


def test_recent_batches_round_trip(store: CountStore) -> None:
    first = _batch([M0 * 60_000, M0 * 60_000 + 1])
    second = _batch([(M0 + 30) * 60_000])
    store.write_reports(first, {}, msg_id="a")
    store.write_reports(second, {}, msg_id="b")
    assert store.recent_batches(0) == [first, second]
    assert store.recent_batches((M0 + 1) * 60_000) == [second]
    rows = batch_rows(store.recent_batches(0)[0])
    assert [(r.service, r.region, r.counted) for r in rows] == [("facebook", "EG/Cairo", True)] * 2


def test_counted_batches_are_a_shards_own_and_those_that_name_none(store: CountStore) -> None:
    mine = _batch([(M0 + 30) * 60_000])._replace(shard=1)
    other = _batch([(M0 + 30) * 60_000])._replace(shard=2)
    unnamed = _batch([(M0 + 31) * 60_000])
    old = _batch([M0 * 60_000])._replace(shard=1)
    none_counted = _batch([(M0 + 32) * 60_000])._replace(shard=1, counted=0)
    for i, batch in enumerate([old, mine, other, unnamed, none_counted]):
        store.write_reports(batch, {}, msg_id=f"b{i}")
    since = (M0 + 1) * 60_000
    assert store.counted_batches(since, shard=1) == [mine, unnamed]
    assert store.counted_batches(since) == [mine, other, unnamed]
    assert store.counted_batches(0, shard=2) == [other, unnamed]


def test_unsigned_reporter_hashes_survive(store: CountStore) -> None:
    batch = _batch([M0 * 60_000])
    store.write_reports(batch, {}, msg_id="hash")
    (row,) = batch_rows(store.recent_batches(0)[0])
    assert row.reporter == int(np.array([0x9E3779B97F4A7C15], np.uint64).view(np.int64)[0])


def test_a_failed_write_forgets_the_series_ids_it_made(tmp_path: Path) -> None:
    from rasd.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "ids.db")
    store.migrate()
    key = SeriesKey("facebook", "reports", "ZZ")

    def fails(conn: Any) -> None:
        store._add_counts(conn, {(key, 100): 1})
        raise RuntimeError("undone")

    with pytest.raises(RuntimeError):
        store.write(fails)
    other = SeriesKey("instagram", "reports", "*")
    store.add_counts({(other, 100): 2})
    store.add_counts({(key, 100): 5})
    assert store.total(key, 100, 101) == 5
    assert store.total(other, 100, 101) == 2
    store.close()


def test_world_reports_in_buckets(store: Store) -> None:
    from rasd.store import queries

    store.add_counts({(FB, M0): 2, (FB, M0 + 14): 3, (FB, M0 + 15): 1, (FB_EG, M0): 50})
    store.add_counts({(IG, M0 + 29): 4, (IG, M0 + 30): 9, (FB, M0 - 1): 7})
    assert queries.world_reports(store, None, M0, M0 + 30, 15) == {
        "facebook": [5, 1],
        "instagram": [0, 4],
    }
    assert queries.world_reports(store, ["instagram"], M0, M0 + 31, 15) == {"instagram": [0, 4]}
    assert queries.world_reports(store, ["twitter"], M0, M0 + 30, 15) == {}
