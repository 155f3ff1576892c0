"""One page of a table's rows and how many rows there are in all, read together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, func, select

from rasd.store.base import Store

Row = dict[str, Any]


def page_of(
    store: Store,
    table: Table,
    where: Sequence[ColumnElement[bool]],
    order: Sequence[Any],
    *,
    limit: int,
    offset: int,
) -> tuple[list[Row], int]:
    query = select(table).where(*where).order_by(*order).limit(limit).offset(offset)
    counting = select(func.count()).select_from(table).where(*where)

    def run(conn: Connection) -> tuple[list[Row], int]:
        rows = [dict(r._mapping) for r in conn.execute(query).all()]
        return rows, int(conn.execute(counting).scalar_one())

    return store.read(run)
