"""PostgreSQL store for the cluster: the same SQL, a connection pool, no single writer."""

from __future__ import annotations

from sqlalchemy import create_engine

from rasd.store.base import SqlStore


class PostgresStore(SqlStore):
    dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        super().__init__(create_engine(url, pool_size=pool_size, pool_pre_ping=True))
