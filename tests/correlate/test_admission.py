"""How late providers admit it: lag per event and the provider's 90-day grade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rasd.catalog import default_catalog
from rasd.clock import VirtualClock
from rasd.correlate.admission import acknowledgement, grade, graded_owners
from rasd.notify.statements import StatementStore
from rasd.signals.official import OfficialBoard
from rasd.signals.status import Update
from rasd.store import Store

T = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _event(
    store: Store, n: int, service: str, start: datetime, minutes: int = 60
) -> dict[str, Any]:
    end = start + timedelta(minutes=minutes)
    incident = {"id": f"{service}:{n}", "service": service, "state": "resolved", "level": 2,
                "start": start.isoformat(), "end": end.isoformat(),
                "detected_at": (start + timedelta(minutes=3)).isoformat()}  # fmt: skip
    row = {"id": incident["id"], "service": service, "state": "resolved", "level": 2,
           "start_ms": _ms(start), "end_ms": _ms(end), "updated_ms": _ms(end),
           "event_id": f"e{n}", "data": incident}  # fmt: skip
    store.upsert_incidents([row])
    owner = default_catalog().get(service).owner
    event = {"id": f"e{n}", "state": "resolved", "start": start.isoformat(),
             "end": end.isoformat(), "primary": [service], "spillover": [], "owner": owner,
             "incidents": {service: incident["id"]}}  # fmt: skip
    store.upsert_events([{"id": event["id"], "kind": "outage", "state": "resolved",
                          "start_ms": _ms(start), "end_ms": _ms(end), "updated_ms": _ms(end),
                          "data": event}])  # fmt: skip
    return event


def _said(board: OfficialBoard, service: str, ref: str, at: datetime, **kw: Any) -> None:
    update = Update(ref, f"{ref}-1", "investigating", "Trouble", "We are looking", at, **kw)
    board.record(service, "https://status.devhub.example/", [update])


def test_the_lag_runs_from_detection_to_the_first_word(store: Store) -> None:
    board = OfficialBoard(store, VirtualClock(T))
    event = _event(store, 1, "github", T)
    _said(board, "github", "maint", T + timedelta(minutes=5), maintenance=True)
    _said(board, "github", "i1", T + timedelta(minutes=23))
    ack = acknowledgement(board, event, T + timedelta(hours=2))
    assert ack["detected_at"] == "2026-11-01T12:03:00Z"
    assert ack["acknowledged_at"] == "2026-11-01T12:23:00Z"
    assert ack["lag_seconds"] == 20 * 60 and ack["first_word"]["by"] == "status_page"


def test_an_operators_statement_counts_and_can_come_first(store: Store) -> None:
    clock = VirtualClock(T + timedelta(minutes=1))
    board = OfficialBoard(store, clock)
    event = _event(store, 1, "github", T)
    StatementStore(store, clock).add(service="github", status="investigating",
                                     message={"en": "Looking"}, author="ops")  # fmt: skip
    _said(board, "github", "i1", T + timedelta(minutes=30))
    ack = acknowledgement(board, event, T + timedelta(hours=2))
    assert ack["lag_seconds"] == -2 * 60 and ack["first_word"]["by"] == "statement"


def test_a_grade_over_ninety_days(store: Store) -> None:
    board = OfficialBoard(store, VirtualClock(T))
    catalog = default_catalog()
    # three events Rasd saw: acknowledged after 10 and 30 minutes, and never
    _event(store, 1, "github", T - timedelta(days=10))
    _said(board, "github", "a", T - timedelta(days=10) + timedelta(minutes=13))
    _event(store, 2, "github", T - timedelta(days=5))
    _said(board, "github", "b", T - timedelta(days=5) + timedelta(minutes=33))
    _event(store, 3, "github", T - timedelta(days=2))
    # an event long ago, outside the window
    _event(store, 4, "github", T - timedelta(days=200))
    # and an incident of its own that Rasd never saw
    _said(board, "github", "c", T - timedelta(days=20))
    result = grade(board, catalog, catalog.get("github").owner, T)
    assert result["events"] == 3 and result["acknowledged"] == 2
    assert result["median_lag_seconds"] == 20 * 60
    assert result["never_acknowledged_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["official_incidents"] == 3
    assert result["seen_by_rasd_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert catalog.get("github").owner in graded_owners(board, catalog)
