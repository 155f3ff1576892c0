"""Message ids of writes: a client that may send a write again names it (Idempotency-Key)."""

from __future__ import annotations

from rasd.bus.base import new_message_id
from rasd.errors import InvalidInput


def message_id(key: str | None, kind: str) -> str:
    """The log's id for one write: the client's key, per kind (one key used for reports and
    for posts names two messages), else a new id."""
    if key is None:
        return new_message_id()
    if not 1 <= len(key) <= 100 or not key.isprintable():
        raise InvalidInput(
            "the Idempotency-Key header must have 1 to 100 printable characters",
            details=[{"field": "Idempotency-Key", "reason": "bad length"}],
        )
    return f"{kind}:k:{key}"
