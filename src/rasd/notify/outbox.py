"""The outbox: every message to every subscription, kept until it is delivered or given up.

A message is written before anything is sent, so a crash loses none; it is claimed for a
short lease while in flight, so two workers never send it twice at once; a failure is retried
after a growing delay; after the last attempt it is dead, on the list an admin sees and can
replay. Times are the injected clock's, in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from rasd.errors import InvalidInput, NotFound, field_error
from rasd.store import schema
from rasd.store.base import Store

STATUSES = ("pending", "sent", "dead", "cancelled")
# minutes to wait after the 1st, 2nd... failed attempt; one more failure and it is dead
BACKOFF_MINUTES = (1, 5, 15, 60, 240)
LEASE_MS = 120_000


@dataclass(frozen=True)
class Delivery:
    id: int
    subscription_id: str
    dedupe: str
    kind: str
    service: str
    incident_id: str | None
    body: str
    status: str
    attempts: int
    next_ms: int
    created_ms: int
    sent_ms: int | None
    last_error: str | None

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subscription": self.subscription_id,
            "kind": self.kind,
            "service": self.service,
            "incident": self.incident_id,
            "status": self.status,
            "attempts": self.attempts,
            "created_at": _iso(self.created_ms),
            "next_attempt_at": _iso(self.next_ms) if self.status == "pending" else None,
            "sent_at": _iso(self.sent_ms) if self.sent_ms is not None else None,
            "last_error": self.last_error,
        }


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def backoff_ms(attempts: int) -> int | None:
    """The wait after `attempts` failed attempts, or None when it is time to give up."""
    if attempts > len(BACKOFF_MINUTES):
        return None
    return BACKOFF_MINUTES[attempts - 1] * 60_000


class Outbox:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._insert = _dialect_insert(store)

    def add(self, rows: Sequence[dict[str, Any]]) -> int:
        """Queue messages; one already queued under the same (subscription, dedupe) is kept."""
        if not rows:
            return 0
        return self.store.write(lambda conn: self.add_in(conn, rows))

    def add_in(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """`add`, in a transaction of the caller's: the messages go with what it writes."""
        stmt = (
            self._insert(schema.deliveries)
            .on_conflict_do_nothing(index_elements=["subscription_id", "dedupe"])
            .returning(schema.deliveries.c.id)
        )
        added = 0
        for row in rows:
            queued = {
                "status": "pending",
                "attempts": 0,
                "sent_ms": None,
                "last_error": None,
                "incident_id": None,
                **row,
            }
            added += conn.execute(stmt, queued).first() is not None
        return added

    def claim(self, now_ms: int, limit: int = 50) -> list[Delivery]:
        """Due messages, leased to this caller for a while so nobody else sends them too."""
        d = schema.deliveries.c

        def run(conn: Connection) -> list[Delivery]:
            ids = [
                r.id
                for r in conn.execute(
                    select(d.id)
                    .where(d.status == "pending", d.next_ms <= now_ms)
                    .order_by(d.next_ms, d.id)
                    .limit(limit)
                ).all()
            ]
            if not ids:
                return []
            rows = conn.execute(
                update(schema.deliveries)
                .where(d.id.in_(ids), d.status == "pending", d.next_ms <= now_ms)
                .values(next_ms=now_ms + LEASE_MS)
                .returning(*schema.deliveries.c)
            ).all()
            return sorted((_from_row(r._mapping) for r in rows), key=lambda x: x.id)

        return self.store.write(run)

    def sent(self, delivery: Delivery, now_ms: int) -> None:
        self._set(delivery.id, status="sent", attempts=delivery.attempts + 1, sent_ms=now_ms)

    def failed(self, delivery: Delivery, now_ms: int, error: str) -> bool:
        """Record a failed attempt; True when it was the last one and the message is dead."""
        attempts = delivery.attempts + 1
        wait = backoff_ms(attempts)
        if wait is None:
            self._set(delivery.id, status="dead", attempts=attempts, last_error=error[:2000])
            return True
        self._set(delivery.id, attempts=attempts, next_ms=now_ms + wait, last_error=error[:2000])
        return False

    def cancel(self, delivery_id: int, reason: str) -> None:
        self._set(delivery_id, status="cancelled", last_error=reason)

    def withdraw(self, incident_id: str, kind: str) -> set[str]:
        """Cancel pending messages of one kind about an incident; whose they were."""
        d = schema.deliveries.c
        stmt = (
            update(schema.deliveries)
            .where(d.incident_id == incident_id, d.kind == kind, d.status == "pending")
            .values(status="cancelled", last_error="withdrawn: the incident went on")
            .returning(d.subscription_id)
        )
        rows = self.store.write(lambda conn: conn.execute(stmt).all())
        return {str(r.subscription_id) for r in rows}

    def replay(self, delivery_id: int, now_ms: int) -> Delivery:
        """Send a dead (or cancelled) message again, from a fresh count of attempts."""
        current = self.get(delivery_id)
        if current.status not in ("dead", "cancelled"):
            raise InvalidInput(
                "only dead or cancelled deliveries are replayed",
                details=[field_error("id", "not dead", value=delivery_id, status=current.status)],
            )
        self._set(delivery_id, status="pending", attempts=0, next_ms=now_ms, last_error=None)
        return self.get(delivery_id)

    def get(self, delivery_id: int) -> Delivery:
        query = select(schema.deliveries).where(schema.deliveries.c.id == delivery_id)
        row = self.store.read(lambda conn: conn.execute(query).first())
        if row is None:
            raise NotFound(
                f"no delivery {delivery_id}",
                details=[field_error("id", "unknown", value=delivery_id)],
            )
        return _from_row(row._mapping)

    def page(
        self,
        *,
        status: str | None = None,
        subscription_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Delivery], int]:
        d = schema.deliveries.c
        query = select(schema.deliveries)
        counting = select(func.count()).select_from(schema.deliveries)
        if status is not None:
            query, counting = query.where(d.status == status), counting.where(d.status == status)
        if subscription_id is not None:
            query = query.where(d.subscription_id == subscription_id)
            counting = counting.where(d.subscription_id == subscription_id)
        query = query.order_by(d.id.desc()).limit(limit).offset(offset)

        def run(conn: Connection) -> tuple[list[Delivery], int]:
            rows = conn.execute(query).all()
            return [_from_row(r._mapping) for r in rows], int(conn.execute(counting).scalar_one())

        return self.store.read(run)

    def counts(self) -> dict[str, int]:
        d = schema.deliveries.c
        query = select(d.status, func.count()).group_by(d.status)
        rows = self.store.read(lambda conn: conn.execute(query).all())
        out = dict.fromkeys(STATUSES, 0)
        out.update({str(status): int(n) for status, n in rows})
        return out

    def _set(self, delivery_id: int, **values: Any) -> None:
        stmt = (
            update(schema.deliveries).where(schema.deliveries.c.id == delivery_id).values(**values)
        )
        self.store.write(lambda conn: conn.execute(stmt))


def _dialect_insert(store: Store) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    engine = getattr(store, "engine", None)
    if engine is not None and engine.dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def _from_row(row: Any) -> Delivery:
    return Delivery(
        id=int(row["id"]),
        subscription_id=row["subscription_id"],
        dedupe=row["dedupe"],
        kind=row["kind"],
        service=row["service"],
        incident_id=row["incident_id"],
        body=row["body"],
        status=row["status"],
        attempts=int(row["attempts"]),
        next_ms=int(row["next_ms"]),
        created_ms=int(row["created_ms"]),
        sent_ms=None if row["sent_ms"] is None else int(row["sent_ms"]),
        last_error=row["last_error"],
    )
