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

from rasd.errors import InvalidInput, NotFound, field_error
from rasd.notify.alerts import MessageKind
from rasd.store.base import Store
from rasd.store.notify import DeliveryRows, Transaction

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
        self.rows = DeliveryRows(store)

    def add(self, rows: Sequence[dict[str, Any]]) -> int:
        """Queue messages; one already queued under the same (subscription, dedupe) is kept."""
        return self.rows.add([_queued(row) for row in rows])

    def add_in(self, tx: Transaction, rows: Sequence[dict[str, Any]]) -> int:
        """`add`, in a transaction of the caller's: the messages go with what it writes."""
        return self.rows.add_in(tx, [_queued(row) for row in rows])

    def claim(self, now_ms: int, limit: int = 50) -> list[Delivery]:
        """Due messages, leased to this caller for a while so nobody else sends them too."""
        leased = self.rows.lease_due(now_ms, limit=limit, until_ms=now_ms + LEASE_MS)
        return [_from_row(row) for row in leased]

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

    def withdraw(self, incident_id: str, kind: MessageKind) -> set[str]:
        """Cancel pending messages of one kind about an incident; whose they were."""
        return self.rows.cancel_pending(
            incident_id=incident_id, kind=kind.value, reason="withdrawn: the incident went on"
        )

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
        row = self.rows.get(delivery_id)
        if row is None:
            raise NotFound(
                f"no delivery {delivery_id}",
                details=[field_error("id", "unknown", value=delivery_id)],
            )
        return _from_row(row)

    def page(
        self,
        *,
        status: str | None = None,
        subscription_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Delivery], int]:
        rows, total = self.rows.page(
            status=status, subscription_id=subscription_id, limit=limit, offset=offset
        )
        return [_from_row(row) for row in rows], total

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        out.update(self.rows.by_status())
        return out

    def _set(self, delivery_id: int, **values: Any) -> None:
        self.rows.change(delivery_id, values)


def _queued(row: dict[str, Any]) -> dict[str, Any]:
    """A message as it waits for its first attempt."""
    return {
        "status": "pending",
        "attempts": 0,
        "sent_ms": None,
        "last_error": None,
        "incident_id": None,
        **row,
    }


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
