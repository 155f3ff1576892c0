"""The post samples table: complaint posts kept a while per service (`rasd.signals.sample`
decides which and for how long)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, select

from rasd.store import schema
from rasd.store.base import Store

Row = dict[str, Any]


class SampleRows:
    def __init__(self, store: Store) -> None:
        self.store = store

    def keep(self, rows: Sequence[Row], *, older_than_ms: int, per_service: int) -> None:
        """Adds the rows not kept yet (by service and post), then forgets what is older than
        `older_than_ms` and, for each service written, all but its newest `per_service`."""
        if rows:
            self.store.write(lambda conn: _keep(conn, rows, older_than_ms, per_service))

    def forget_older_than(self, at_ms: int) -> int:
        """How many rows went."""
        table = schema.post_samples
        stmt = delete(table).where(table.c.at_ms < at_ms)
        return int(self.store.write(lambda conn: conn.execute(stmt).rowcount) or 0)

    def newest(self, service: str, *, since_ms: int, limit: int) -> list[Row]:
        """Newest first; posts of the same time in key order."""
        c = schema.post_samples.c
        query = (
            select(schema.post_samples)
            .where(c.service == service, c.at_ms >= since_ms)
            .order_by(c.at_ms.desc(), c.post_key)
            .limit(limit)
        )
        return [dict(r._mapping) for r in self.store.read(lambda conn: conn.execute(query).all())]


def _keep(conn: Connection, rows: Sequence[Row], older_than_ms: int, per_service: int) -> None:
    table = schema.post_samples
    c = table.c
    services = sorted({row["service"] for row in rows})
    posts = sorted({row["post_key"] for row in rows})
    present = {
        (r.service, r.post_key)
        for r in conn.execute(
            select(c.service, c.post_key).where(c.service.in_(services), c.post_key.in_(posts))
        )
    }
    fresh = [row for row in rows if (row["service"], row["post_key"]) not in present]
    if fresh:
        conn.execute(table.insert(), fresh)
    conn.execute(delete(table).where(c.at_ms < older_than_ms))
    for service in services:
        # the newest `per_service` stay: everything older than the last of them goes
        floor = conn.execute(
            select(c.at_ms)
            .where(c.service == service)
            .order_by(c.at_ms.desc())
            .offset(per_service - 1)
            .limit(1)
        ).scalar()
        if floor is not None:
            conn.execute(delete(table).where(c.service == service, c.at_ms < floor))
