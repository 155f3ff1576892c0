"""PostgreSQL store for the cluster: the same SQL, a connection pool, no single writer.

Many workers write at once, each to its own shard's series; the few rows two of them may touch
together (posts counted for any service) are written in one order everywhere, and a deadlock or
serialisation failure PostgreSQL still reports is retried. Migrations run under an advisory
lock, so processes that start together do not race to create the schema.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError

from rasd.store import migrations
from rasd.store.base import SqlStore

T = TypeVar("T")

_log = logging.getLogger("rasd.store.postgres")

# pg_advisory_lock key: "rasd" in ASCII, any constant every Rasd process agrees on
_MIGRATION_LOCK = 0x72617364
_RETRIED_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_ATTEMPTS = 5


def engine_url(url: str) -> str:
    """Any spelling of a PostgreSQL URL, with the psycopg 3 driver named."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class PostgresStore(SqlStore):
    dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 8, connect_timeout: int = 5) -> None:
        engine = create_engine(
            engine_url(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            pool_timeout=connect_timeout * 2,
            connect_args={"connect_timeout": connect_timeout},
        )
        super().__init__(engine)

    def migrate(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            migrations.upgrade(conn)

    def write(self, fn: Callable[[Connection], T]) -> T:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with self.engine.begin() as conn:
                    return fn(conn)
            except Exception as exc:
                # series ids handed out inside the failed transaction do not exist
                # (new dicts, not cleared ones: other threads may hold the old ones mid-write)
                self._series_ids = {}
                self._series_by_id = {}
                if not isinstance(exc, DBAPIError):
                    raise
                state = getattr(exc.orig, "sqlstate", None)
                if state not in _RETRIED_SQLSTATES or attempt == _ATTEMPTS:
                    raise
                _log.info("write retried after %s (attempt %d)", state, attempt)
                time.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")
