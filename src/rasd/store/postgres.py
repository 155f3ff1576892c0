"""PostgreSQL store for the cluster: the same SQL, a connection pool, no single writer.

Many workers write at once, each to its own shard's series; the few rows two of them may touch
together (posts counted for any service) are written in one order everywhere, and a deadlock or
serialisation failure PostgreSQL still reports is retried. Migrations and retention run under
advisory locks, so processes that start together do not race to create the schema, and two
processes never roll the same hour up twice. A database that cannot be reached is
`rasd.errors.Unavailable` (503 with Retry-After), never a bare driver error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from rasd.errors import Unavailable
from rasd.store import migrations
from rasd.store.base import SqlStore

T = TypeVar("T")

_log = logging.getLogger("rasd.store.postgres")

# pg_advisory_lock keys: "rasd" and "rasp" in ASCII, constants every Rasd process agrees on
_MIGRATION_LOCK = 0x72617364
_PRUNE_LOCK = 0x72617370
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
        def run(conn: Connection) -> None:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            migrations.upgrade(conn)

        self.write(run)

    def prune(self, now_minute: int, raw_keep_minutes: int, minute_keep_minutes: int) -> None:
        # the roll-up reads minutes and then deletes them: two at once would count an hour twice
        with _unavailable(), self.engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PRUNE_LOCK})
            try:
                super().prune(now_minute, raw_keep_minutes, minute_keep_minutes)
            finally:
                holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PRUNE_LOCK})
                holder.commit()

    def read(self, fn: Callable[[Connection], T]) -> T:
        with _unavailable():
            return super().read(fn)

    def write(self, fn: Callable[[Connection], T]) -> T:
        with _unavailable():
            return self._write(fn)

    def _write(self, fn: Callable[[Connection], T]) -> T:
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


@contextmanager
def _unavailable() -> Iterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise Unavailable("the database cannot be reached; try again", retry_after=5) from exc
