"""Kept state: small values by key (the engine's checkpoint, sources' cursors, a cluster's
watermarks, the webhooks' signing key), the first one written kept when processes start
together. `StateStore` is what their callers need; `SqlState` its SQL."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select

from rasd.store import schema
from rasd.store.database import Database


class StateStore(Protocol):
    """Values kept by key."""

    def put_state(self, key: str, value: bytes) -> None: ...

    def get_state(self, key: str) -> bytes | None: ...

    def get_states(self, keys: Sequence[str]) -> dict[str, bytes]: ...

    def claim_state(self, key: str, value: bytes) -> bytes: ...


class SqlState(Database):
    """The kept state's SQL, the same on SQLite and PostgreSQL."""

    def put_state(self, key: str, value: bytes) -> None:
        stmt = self._insert(schema.state)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": stmt.excluded.value, "updated_ms": stmt.excluded.updated_ms},
        )
        now = int(time.time() * 1000)
        self.write(lambda conn: conn.execute(stmt, {"key": key, "value": value, "updated_ms": now}))

    def get_state(self, key: str) -> bytes | None:
        query = select(schema.state.c.value).where(schema.state.c.key == key)
        row = self.read(lambda conn: conn.execute(query).first())
        return None if row is None else bytes(row[0])

    def get_states(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The values kept under these keys, in one query; keys with none are left out."""
        if not keys:
            return {}
        c = schema.state.c
        query = select(c.key, c.value).where(c.key.in_(list(keys)))
        rows = self.read(lambda conn: conn.execute(query).all())
        return {row.key: bytes(row.value) for row in rows}

    def claim_state(self, key: str, value: bytes) -> bytes:
        """`value` kept under `key` unless something is already: what is kept is returned, so
        processes starting together agree on the first one written."""
        stmt = self._insert(schema.state).on_conflict_do_nothing(index_elements=["key"])
        now = int(time.time() * 1000)
        self.write(lambda conn: conn.execute(stmt, {"key": key, "value": value, "updated_ms": now}))
        kept = self.get_state(key)
        if kept is None:  # only a deletion between the two statements could do this
            raise RuntimeError(f"state {key!r} could not be kept")
        return kept
