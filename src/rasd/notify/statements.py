"""Official statements: what a service's operator says about an outage, on its timeline."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from rasd.clock import Clock
from rasd.errors import InvalidInput, field_error
from rasd.store.base import Store
from rasd.store.official import StatementRows


class StatementStatus(StrEnum):
    """Statuspage's incident statuses an operator may post (postmortem is written later,
    elsewhere)."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


STATUSES = tuple(s.value for s in StatementStatus)
MAX_MESSAGE = 5000


class StatementStore:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.rows = StatementRows(store)
        self.clock = clock

    def add(
        self,
        *,
        service: str,
        status: str,
        message: dict[str, str],
        author: str,
        incident_id: str | None = None,
    ) -> dict[str, Any]:
        if status not in STATUSES:
            raise InvalidInput(
                f"status is one of {', '.join(STATUSES)}",
                details=[field_error("status", "unknown", value=status)],
            )
        text = {lang: message[lang].strip() for lang in ("en", "ar") if message.get(lang)}
        if not text or any(len(v) > MAX_MESSAGE for v in text.values()):
            raise InvalidInput(
                f"a statement says something, in en and/or ar, up to {MAX_MESSAGE} characters",
                details=[field_error("message", "empty or too long")],
            )
        row = {
            "id": secrets.token_hex(8),
            "service": service,
            "incident_id": incident_id,
            "status": status,
            "message": json.dumps(text, ensure_ascii=False),
            "author": author[:200],
            "created_ms": int(self.clock.now().timestamp() * 1000),
        }
        self.rows.add(row)
        return _public(row)

    def page(
        self,
        *,
        service: str | None = None,
        incident_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> tuple[list[dict[str, Any]], int]:
        rows, total = self.rows.page(
            service=service,
            incident_id=incident_id,
            limit=limit,
            offset=offset,
            oldest_first=oldest_first,
        )
        return [_public(r) for r in rows], total

    def by_incident(self, incident_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Statements of many incidents at once, oldest first: what a timeline shows."""
        out: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows.of_incidents(incident_ids):
            out.setdefault(str(row["incident_id"]), []).append(_public(row))
        return out


def _public(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "service": row["service"],
        "incident": row["incident_id"],
        "status": row["status"],
        "message": json.loads(row["message"]),
        "author": row["author"],
        "created_at": datetime.fromtimestamp(row["created_ms"] / 1000, UTC).isoformat(),
    }
