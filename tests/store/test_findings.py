"""The findings part of the store (incidents and events), run on SQLite and on PostgreSQL
alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from sqlalchemy import event, inspect

from rasd.incidents.model import IncidentState
from rasd.store import open_store
from rasd.store.base import SqlStore
from rasd.store.findings import FindingStore
from rasd.store.rows import EventKind, EventRow, EventState, IncidentRow, level_now


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


def test_incidents_upsert_and_filters(store: FindingStore) -> None:
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


def test_open_incidents_are_the_newest_open_one_of_each_service(store: FindingStore) -> None:
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


def test_events_upsert_and_filters(store: FindingStore) -> None:
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


def test_events_come_out_typed(store: FindingStore) -> None:
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


def test_open_incidents_and_a_state_page_are_read_through_the_state_index(
    store: FindingStore,
) -> None:
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


def test_incidents_and_events_by_page_and_by_id(store: FindingStore) -> None:
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
