"""The Store protocol, run on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from sqlalchemy import Connection, event, inspect

from rasd.incidents.model import IncidentState
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.signals.reports import ReportColumns, batch_rows, encode_batch
from rasd.store import RawBatch, Store, open_store, schema
from rasd.store.base import SqlStore
from rasd.store.rows import EventKind, EventRow, EventState, IncidentRow, level_now

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


def test_write_reports_is_idempotent_by_message_id(store: Store) -> None:
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


def test_add_counts_upserts_and_dedupes(store: Store) -> None:
    assert store.add_counts({(IG, M0): 3, (IG, M0 + 1): 1}, msg_id="p-1")
    assert store.add_counts({(IG, M0): 4}, msg_id="p-2")
    assert not store.add_counts({(IG, M0): 100}, msg_id="p-1")
    assert store.read_counts(IG, M0, M0 + 3).values == [7, 1, 0]
    assert store.series_keys() == [IG]
    assert store.series_keys(service="facebook") == []
    assert store.series_keys(signal=REPORTS) == [IG]


def test_many_counts_in_one_write_add_up(store: Store) -> None:
    # more rows than one statement takes (SQLite upserts them many a statement), twice over
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


def test_read_counts_in_steps(store: Store) -> None:
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


def test_prune_rolls_whole_hours_up_and_keeps_totals(store: Store) -> None:
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


def test_prune_takes_a_backlog_of_hours_and_a_stray_old_time(store: Store) -> None:
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


def test_read_minutes_returns_every_series_in_range(store: Store) -> None:
    store.add_counts({(FB, M0): 5, (FB_EG, M0): 2, (IG, M0 + 1): 1, (IG, M0 + 5): 9})
    assert store.read_minutes(M0, M0 + 2) == {
        FB: {M0: 5},
        FB_EG: {M0: 2},
        IG: {M0 + 1: 1},
    }
    assert store.read_minutes(M0 + 2, M0 + 5) == {}


def test_recent_batches_round_trip(store: Store) -> None:
    first = _batch([M0 * 60_000, M0 * 60_000 + 1])
    second = _batch([(M0 + 30) * 60_000])
    store.write_reports(first, {}, msg_id="a")
    store.write_reports(second, {}, msg_id="b")
    assert store.recent_batches(0) == [first, second]
    assert store.recent_batches((M0 + 1) * 60_000) == [second]
    rows = batch_rows(store.recent_batches(0)[0])
    assert [(r.service, r.region, r.counted) for r in rows] == [("facebook", "EG/Cairo", True)] * 2


def test_state_put_and_get(store: Store) -> None:
    assert store.get_state("detector") is None
    store.put_state("detector", b"\x00one")
    store.put_state("detector", b"\x00two")
    store.put_state("other", b"")
    assert store.get_state("detector") == b"\x00two"
    assert store.get_state("other") == b""


def test_states_read_together_leave_out_keys_with_none(store: Store) -> None:
    assert store.get_states([]) == {}
    assert store.get_states(["a", "b"]) == {}
    store.put_state("a", b"1")
    store.put_state("c", b"")
    assert store.get_states(["a", "b", "c"]) == {"a": b"1", "c": b""}


def test_state_claimed_keeps_the_first_value_written(store: Store) -> None:
    assert store.claim_state("link_key", b"first") == b"first"
    assert store.claim_state("link_key", b"second") == b"first"
    assert store.get_state("link_key") == b"first"
    store.put_state("link_key", b"replaced")  # a put still replaces, as ever
    assert store.claim_state("link_key", b"third") == b"replaced"


def _incident(id_: str, service: str, state: str, start: int, end: int | None) -> dict[str, object]:
    return {
        "id": id_,
        "service": service,
        "state": state,
        "level": 2,
        "start_ms": start,
        "end_ms": end,
        "updated_ms": end or start,
        "event_id": None,
        "data": {"id": id_, "state": state, "title": "انقطاع"},
    }


def test_incidents_upsert_and_filters(store: Store) -> None:
    store.upsert_incidents(
        [
            _incident("fb-1", "facebook", "ongoing", 1_000, None),
            _incident("ig-1", "instagram", "resolved", 2_000, 3_000),
            _incident("fb-0", "facebook", "resolved", 100, 200),
        ]
    )
    store.upsert_incidents([_incident("fb-1", "facebook", "resolved", 1_000, 5_000)])
    assert [i.id for i in store.list_incidents()] == ["ig-1", "fb-1", "fb-0"]
    assert store.list_incidents(service="facebook")[0] == IncidentRow(
        id="fb-1",
        service="facebook",
        state=IncidentState.RESOLVED,
        level=2,
        start_ms=1_000,
        end_ms=5_000,
        updated_ms=5_000,
        event_id=None,
        data={"id": "fb-1", "state": "resolved", "title": "انقطاع"},
    )
    resolved = store.list_incidents(state=IncidentState.RESOLVED, limit=2)
    assert [i.id for i in resolved] == ["ig-1", "fb-1"]
    assert [i.id for i in store.list_incidents(since_ms=2_500)] == ["ig-1", "fb-1"]
    assert [i.id for i in store.list_incidents(until_ms=1_000)] == ["fb-0"]
    store.upsert_incidents([])
    assert len(store.list_incidents()) == 3


def test_open_incidents_are_the_newest_open_one_of_each_service(store: Store) -> None:
    store.upsert_incidents(
        [
            _incident("fb-0", "facebook", "ongoing", 100, None),
            _incident("fb-1", "facebook", "recovering", 1_000, None),
            _incident("fb-2", "facebook", "resolved", 2_000, 2_500),
            _incident("ig-1", "instagram", "opened", 1_500, None),
            _incident("wa-1", "whatsapp", "resolved", 3_000, 3_500),
        ]
    )
    found = store.open_incidents()
    assert {s: i.id for s, i in found.items()} == {"instagram": "ig-1", "facebook": "fb-1"}
    assert list(found) == ["instagram", "facebook"]  # newest first, as pages list them
    assert found["facebook"].state is IncidentState.RECOVERING and found["facebook"].is_open
    assert [i.id for i in store.open_incidents("facebook").values()] == ["fb-1"]
    assert store.open_incidents("whatsapp") == {}
    assert level_now(found["facebook"]) == 2 and level_now(None) == 0


def test_events_upsert_and_filters(store: Store) -> None:
    def event(id_: str, state: str, start: int, end: int | None) -> dict[str, object]:
        return {
            "id": id_,
            "kind": "outage",
            "state": state,
            "start_ms": start,
            "end_ms": end,
            "updated_ms": start,
            "data": {"id": id_, "state": state},
        }

    store.upsert_events([event("e1", "active", 10, None), event("e0", "resolved", 1, 5)])
    store.upsert_events([event("e1", "resolved", 10, 20)])
    assert [e.data for e in store.list_events()] == [
        {"id": "e1", "state": "resolved"},
        {"id": "e0", "state": "resolved"},
    ]
    assert [e.id for e in store.list_events(since_ms=6)] == ["e1"]
    assert [e.id for e in store.list_events(until_ms=10)] == ["e0"]
    assert store.list_events(state=EventState.ACTIVE) == []
    assert [e.id for e in store.list_events(state=EventState.RESOLVED)] == ["e1", "e0"]


def test_events_come_out_typed(store: Store) -> None:
    data = {
        "id": "meta-1",
        "kind": "outage",
        "state": "recovering",
        "level": 3,
        "primary": ["facebook", "instagram"],
        "spillover": ["twitter"],
        "incidents": {"facebook": "fb-1", "instagram": "ig-1"},
        "owner": "meta",
        "title": {"code": "title.outage", "args": {}},
    }
    row = {"kind": "outage", "start_ms": 1_000, "end_ms": None, "updated_ms": 2_000, "data": data}
    store.upsert_events(
        [
            {**row, "id": "meta-1", "state": "recovering"},
            {
                **row,
                "id": "old",
                "kind": "regional",
                "state": "merged",
                "end_ms": 1_500,
                "data": {"id": "old"},
            },
        ]
    )
    kept = store.get_event("meta-1")
    assert kept == EventRow(
        id="meta-1",
        kind=EventKind.OUTAGE,
        state=EventState.RECOVERING,
        level=3,
        start_ms=1_000,
        end_ms=None,
        updated_ms=2_000,
        primary=("facebook", "instagram"),
        spillover=("twitter",),
        incidents={"facebook": "fb-1", "instagram": "ig-1"},
        owner="meta",
        data=data,
    )
    assert kept.is_open and not kept.is_merged
    assert kept.services == ("facebook", "instagram", "twitter")
    merged = store.get_event("old")
    assert merged is not None and merged.kind is EventKind.REGIONAL and merged.is_merged
    assert not merged.is_open and merged.end_ms == 1_500
    # a document kept before these fields were read: what it lacks is empty, level 1
    assert (merged.level, merged.primary, merged.incidents, merged.owner) == (1, (), {}, None)


def test_open_incidents_and_a_state_page_are_read_through_the_state_index(store: Store) -> None:
    engine = cast(SqlStore, store).engine
    statements: list[tuple[str, Any]] = []

    def keep(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("SELECT") and "count(" not in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        store.open_incidents()
        store.page_events(state=EventState.RESOLVED)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(statements) == 2
    plans = []
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # few rows: the planner would read the table; say which index it could use
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        for statement, parameters in statements:
            rows = conn.exec_driver_sql(explain + statement, parameters).all()
            plans.append(" ".join(str(part) for row in rows for part in row))
    assert "ix_incidents_state_start" in plans[0], plans[0]
    assert "ix_events_state_start" in plans[1], plans[1]


def test_a_file_made_before_an_index_gains_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    first = open_store(url)
    first.migrate()
    first.write(lambda conn: conn.exec_driver_sql("DROP INDEX ix_incidents_state_start"))
    first.close()
    again = open_store(url)
    again.migrate()
    indexes = again.read(lambda conn: inspect(conn).get_indexes("incidents"))
    again.close()
    assert "ix_incidents_state_start" in {ix["name"] for ix in indexes}


def test_incidents_and_events_by_page_and_by_id(store: Store) -> None:
    store.upsert_incidents(
        [_incident(f"fb-{n}", "facebook", "resolved", 1_000 * n, 1_000 * n + 500) for n in range(7)]
        + [_incident("ig-1", "instagram", "ongoing", 3_500, None)]
    )
    first = store.page_incidents(service="facebook", limit=3)
    assert [i.id for i in first.rows] == ["fb-6", "fb-5", "fb-4"] and first.total == 7
    last = store.page_incidents(service="facebook", limit=3, offset=6)
    assert [i.id for i in last.rows] == ["fb-0"] and last.total == 7
    assert store.page_incidents(limit=2, offset=50) == ([], 8)
    # the filters count as they select
    assert store.page_incidents(since_ms=3_600, until_ms=6_000).total == 3
    assert [i.id for i in store.list_incidents(limit=2, offset=3)] == ["ig-1", "fb-3"]
    kept = store.get_incident("fb-2")
    assert kept is not None and kept.state is IncidentState.RESOLVED and not kept.is_open
    assert (kept.service, kept.start_ms, kept.end_ms) == ("facebook", 2_000, 2_500)
    assert kept.data == {"id": "fb-2", "state": "resolved", "title": "انقطاع"}
    assert store.get_incident("fb-9") is None
    store.upsert_events(
        [
            {
                "id": f"e{n}",
                "kind": "outage",
                "state": "resolved",
                "start_ms": n,
                "end_ms": n + 1,
                "updated_ms": n,
                "data": {"id": f"e{n}"},
            }
            for n in range(5)
        ]
    )
    page = store.page_events(state=EventState.RESOLVED, limit=2, offset=1)
    assert [e.id for e in page.rows] == ["e3", "e2"] and page.total == 5
    found = store.get_event("e4")
    assert found is not None and found.data == {"id": "e4"} and store.get_event("e5") is None


def test_unsigned_reporter_hashes_survive(store: Store) -> None:
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
