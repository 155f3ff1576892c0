"""Status-page updates and operators' statements, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from rasd.store import Store
from rasd.store.official import OfficialUpdateRows, StatementRows


def _update(n: int, service: str = "facebook", at_ms: int | None = None) -> dict[str, Any]:
    return {
        "id": f"u{n}",
        "service": service,
        "page": "https://status.example/",
        "incident_ref": "inc-1",
        "status": "investigating",
        "impact": 2 if n % 2 else None,
        "maintenance": n == 3,
        "title": f"Update {n}",
        "body": "نعمل على حل المشكلة",
        "url": None,
        "at_ms": at_ms if at_ms is not None else 1_000 * n,
        "seen_ms": 1_000 * n + 5,
        "approximate": False,
    }


def _statement(n: int, service: str = "facebook", incident: str | None = "i1") -> dict[str, Any]:
    return {
        "id": f"s{n}",
        "service": service,
        "incident_id": incident,
        "status": "investigating",
        "message": '{"en": "Looking into it"}',
        "author": "ops",
        "created_ms": 1_000 * n,
    }


def test_updates_are_kept_once_and_listed_in_order(store: Store) -> None:
    rows = OfficialUpdateRows(store)
    fresh = rows.add_new({u["id"]: u for u in (_update(1), _update(2), _update(3, "whatsapp"))})
    assert [r["id"] for r in fresh] == ["u1", "u2", "u3"]
    again = rows.add_new({u["id"]: u for u in (_update(2), _update(4))})
    assert [r["id"] for r in again] == ["u4"]  # u2 was kept already
    newest = rows.listing()
    assert [r["id"] for r in newest] == ["u4", "u3", "u2", "u1"]
    assert newest[0] == _update(4)
    facebook = rows.listing(services=["facebook"], oldest_first=True)
    assert [r["id"] for r in facebook] == ["u1", "u2", "u4"]
    span = rows.listing(since_ms=2_000, until_ms=3_000, oldest_first=True)
    assert [r["id"] for r in span] == ["u2", "u3"]
    assert [r["id"] for r in rows.listing(limit=1)] == ["u4"]
    assert rows.services_heard() == ["facebook", "whatsapp"]
    assert rows.add_new({}) == []


def test_statements_page_count_and_timelines(store: Store) -> None:
    rows = StatementRows(store)
    rows.add(_statement(1, "facebook", "i1"))
    rows.add(_statement(2, "whatsapp", "i2"))
    rows.add(_statement(3, "facebook", None))
    page, total = rows.page(service="facebook")
    assert [r["id"] for r in page] == ["s3", "s1"] and total == 2
    page, total = rows.page(limit=1, offset=1, oldest_first=True)
    assert [r["id"] for r in page] == ["s2"] and total == 3
    assert rows.page(incident_id="i2")[0] == [_statement(2, "whatsapp", "i2")]
    assert [r["id"] for r in rows.of_incidents(["i2", "i1", "i1"])] == ["s1", "s2"]
    assert rows.of_incidents([]) == []
    first = rows.earliest(["whatsapp", "facebook"], 1_500, 3_000)
    assert first is not None and first["id"] == "s2"
    assert rows.earliest(["facebook"], 1_001, 2_999) is None
    assert rows.earliest([], 0, 10_000) is None
