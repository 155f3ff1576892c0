"""The comments table (`rasd.comments` screens and moderates; this keeps and finds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from rasd.store import schema
from rasd.store.base import Store
from rasd.store.paging import page_of

Row = dict[str, Any]


class CommentRows:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add_screened(
        self, *, fingerprint: str, network: str, since_ms: int, screen: Callable[[int, int], Row]
    ) -> Row:
        """Counts the comments with this fingerprint since `since_ms` (this network's, and
        everyone's), asks `screen` for the row to keep, and keeps it, in one transaction: two
        copies sent at once cannot both pass as the first."""
        c = schema.comments.c

        def run(conn: Connection) -> Row:
            same, recent = c.fingerprint == fingerprint, c.created_ms >= since_ms
            mine = conn.execute(
                select(func.count()).where(same, recent, c.network == network)
            ).scalar_one()
            everyone = conn.execute(select(func.count()).where(same, recent)).scalar_one()
            row = screen(int(mine), int(everyone))
            conn.execute(schema.comments.insert().values(fingerprint=fingerprint, **row))
            return row

        return self.store.write(run)

    def page(
        self, *, state: str, service: str | None, limit: int, offset: int
    ) -> tuple[list[Row], int]:
        """Newest first, and how many there are in all."""
        c = schema.comments.c
        where = [c.state == state]
        if service is not None:
            where.append(c.service == service)
        order = (c.created_ms.desc(), c.id.desc())
        return page_of(self.store, schema.comments, where, order, limit=limit, offset=offset)

    def get(self, comment_id: str) -> Row | None:
        query = select(schema.comments).where(schema.comments.c.id == comment_id)
        found = self.store.read(lambda conn: conn.execute(query).mappings().first())
        return None if found is None else dict(found)

    def set_state(self, comment_id: str, state: str, decided_ms: int) -> None:
        c = schema.comments.c
        stmt = update(schema.comments).where(c.id == comment_id)
        self.store.write(lambda conn: conn.execute(stmt.values(state=state, decided_ms=decided_ms)))

    def delete(self, comment_id: str) -> None:
        stmt = delete(schema.comments).where(schema.comments.c.id == comment_id)
        self.store.write(lambda conn: conn.execute(stmt))

    def forget_older_than(self, created_ms: int) -> int:
        """How many went."""
        stmt = delete(schema.comments).where(schema.comments.c.created_ms < created_ms)
        return int(self.store.write(lambda conn: conn.execute(stmt).rowcount) or 0)
