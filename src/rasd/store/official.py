"""What providers say: the updates read on their status pages, and the statements their
operators post to Rasd. Rows go in and come out as the tables hold them; what they mean for
the timeline is `rasd.signals.official` and `rasd.notify.statements`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select, select

from rasd.store import schema
from rasd.store.base import Store
from rasd.store.paging import page_of

Row = dict[str, Any]


class OfficialUpdateRows:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add_new(self, rows: Mapping[str, Row]) -> list[Row]:
        """Keeps the rows (by id) not kept yet, and returns those: a page read again adds
        nothing."""
        if not rows:
            return []
        table = schema.official_updates

        def run(conn: Connection) -> list[Row]:
            there = set(
                conn.execute(select(table.c.id).where(table.c.id.in_(list(rows)))).scalars()
            )
            fresh = [dict(row) for ident, row in rows.items() if ident not in there]
            if fresh:
                conn.execute(table.insert(), fresh)
            return fresh

        return self.store.write(run)

    def listing(
        self,
        *,
        services: Sequence[str] | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[Row]:
        c = schema.official_updates.c
        query = select(schema.official_updates)
        if services is not None:
            query = query.where(c.service.in_(list(services)))
        if since_ms is not None:
            query = query.where(c.at_ms >= since_ms)
        if until_ms is not None:
            query = query.where(c.at_ms <= until_ms)
        order = (c.at_ms, c.id) if oldest_first else (c.at_ms.desc(), c.id.desc())
        return _rows(self.store, query.order_by(*order).limit(limit))

    def services_heard(self) -> list[str]:
        """Every service some update was kept for, by name."""
        query = select(schema.official_updates.c.service).distinct()
        return sorted(self.store.read(lambda conn: conn.execute(query).scalars().all()))


class StatementRows:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, row: Row) -> None:
        self.store.write(lambda conn: conn.execute(schema.statements.insert(), row))

    def page(
        self,
        *,
        service: str | None = None,
        incident_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> tuple[list[Row], int]:
        """One page of statements and how many there are in all."""
        s = schema.statements.c
        where = []
        if service is not None:
            where.append(s.service == service)
        if incident_id is not None:
            where.append(s.incident_id == incident_id)
        order = (s.created_ms, s.id) if oldest_first else (s.created_ms.desc(), s.id.desc())
        return page_of(self.store, schema.statements, where, order, limit=limit, offset=offset)

    def of_incidents(self, incident_ids: Sequence[str]) -> list[Row]:
        """The statements of these incidents, oldest first."""
        if not incident_ids:
            return []
        s = schema.statements.c
        query = (
            select(schema.statements)
            .where(s.incident_id.in_(sorted(set(incident_ids))))
            .order_by(s.created_ms, s.id)
        )
        return _rows(self.store, query)

    def earliest(self, services: Sequence[str], since_ms: int, until_ms: int) -> Row | None:
        """The first statement about any of these services in the span, ends included."""
        if not services:
            return None
        s = schema.statements.c
        query = (
            select(schema.statements)
            .where(s.service.in_(list(services)))
            .where(s.created_ms >= since_ms)
            .where(s.created_ms <= until_ms)
            .order_by(s.created_ms, s.id)
            .limit(1)
        )
        found = _rows(self.store, query)
        return found[0] if found else None


def _rows(store: Store, query: Select[Any]) -> list[Row]:
    return [dict(r._mapping) for r in store.read(lambda conn: conn.execute(query).all())]
