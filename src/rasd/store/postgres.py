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
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)

from rasd.errors import Unavailable
from rasd.series import SeriesKey
from rasd.store import migrations
from rasd.store.base import SqlStore
from rasd.store.counts import AlreadyApplied, Increments, RawBatch

T = TypeVar("T")

_log = logging.getLogger("rasd.store.postgres")

# pg_advisory_lock keys: "rasd" and "rasp" in ASCII, constants every Rasd process agrees on
_MIGRATION_LOCK = 0x72617364
_PRUNE_LOCK = 0x72617370
_RETRIED_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_ATTEMPTS = 5
# A connection back in the pool for longer than this is pinged before it is used again. One in
# steady use is not: a ping is a round trip, as dear to the worker and to its backend as the
# write it precedes. A connection that breaks while in use (PostgreSQL restarted) fails that
# transaction, which every caller already handles (a 503, or a shard started again from what is
# durable), and the pool drops every connection made before the failure.
_PING_IDLE_S = 1.0
_IDLE_SINCE = "rasd_idle_since"


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
            pool_timeout=connect_timeout * 2,
            connect_args={"connect_timeout": connect_timeout},
        )
        _ping_when_idle(engine)
        super().__init__(engine)
        self._group = _GroupCommit(self._commit_group)

    def write_reports(
        self,
        batch: RawBatch | None,
        increments: Increments,
        msg_id: str | Sequence[str] | None = None,
    ) -> bool:
        # a worker's shards count in threads of their own: writes that wait at the same time
        # are committed together, in one transaction of one connection
        return self._group.submit(_Write(batch, increments, msg_id))

    def _commit_group(self, group: list[_Write]) -> None:
        if len(group) == 1:
            one = group[0]
            try:
                one.ok = super().write_reports(one.batch, one.increments, one.msg_id)
            except BaseException as exc:
                one.error = exc
            return
        try:
            oks = self.write(lambda conn: self._write_group(conn, group))
        except Unavailable as exc:
            for write in group:  # the database is away: each would wait for it in turn
                write.error = exc
            return
        except Exception:
            # one of them cannot be written (an id applied meanwhile): each alone, so only
            # that one hears of it
            for write in group:
                try:
                    write.ok = super().write_reports(write.batch, write.increments, write.msg_id)
                except BaseException as exc:
                    write.error = exc
            return
        for write, ok in zip(group, oks, strict=True):
            write.ok = ok

    def _write_group(self, conn: Connection, group: list[_Write]) -> list[bool]:
        """Every write's claim and raw batch, then the counts of those claimed, summed."""
        oks: list[bool] = []
        counts: dict[tuple[SeriesKey, int], int] = {}
        for write in group:
            if isinstance(write.msg_id, str) or write.msg_id is None:
                ok = self._claim(conn, write.msg_id)
            else:
                self._claim_all(conn, write.msg_id)
                ok = True
            oks.append(ok)
            if not ok:
                continue
            self._insert_batch(conn, write.batch)
            for key, n in write.increments.items():
                counts[key] = counts.get(key, 0) + n
        self._add_counts(conn, counts)
        return oks

    def applied_among(self, msg_ids: Sequence[str]) -> set[str]:
        if not msg_ids:
            return set()
        # the driver's own statement over one array: a worker asks before every group, and
        # SQLAlchemy's expanding IN costs more to build than the look-up does to run
        rows = self.read(
            lambda conn: _driver_rows(
                conn, "SELECT msg_id FROM applied WHERE msg_id = ANY(%s::text[])", (list(msg_ids),)
            )
        )
        return {row[0] for row in rows}

    def _claim_all(self, conn: Connection, msg_ids: Sequence[str]) -> None:
        if not msg_ids:
            return
        try:
            # one statement over one array; a single id seen before fails all of it
            _driver_rows(
                conn,
                "INSERT INTO applied (msg_id, applied_ms) SELECT m, %s FROM unnest(%s::text[]) m",
                (int(time.time() * 1000), list(msg_ids)),
                fetch=False,
            )
        except IntegrityError as exc:
            raise AlreadyApplied("a message of the group was applied meanwhile") from exc

    def _driver_sql(
        self, conn: Connection, sql: str, params: tuple[Any, ...] | list[tuple[Any, ...]]
    ) -> None:
        _driver_rows(conn, sql, params, fetch=False)

    def _minute_rows(
        self, conn: Connection, sql: str, params: tuple[Any, ...]
    ) -> Sequence[tuple[Any, ...]]:
        return _driver_rows(conn, sql, params)

    def _new_series(
        self, conn: Connection, keys: set[SeriesKey]
    ) -> Iterable[tuple[int, str, str, str]]:
        # three arrays in one statement: a new day names thousands of series (cities,
        # networks), and a statement of thousands of placeholders costs more to build and
        # parse than to run. In one order, as every writer makes them: no deadlock.
        rows = sorted(keys)
        return _driver_rows(
            conn,
            "INSERT INTO series (service, signal, region) SELECT * FROM "
            "unnest(%s::text[], %s::text[], %s::text[]) "
            # a no-op update makes RETURNING name rows another writer created first
            "ON CONFLICT (service, signal, region) DO UPDATE SET service = excluded.service "
            "RETURNING id, service, signal, region",
            tuple(list(column) for column in zip(*rows, strict=True)),
        )

    def _add_counts(self, conn: Connection, increments: Increments) -> None:
        if not increments:
            return
        rows = self._count_rows(conn, increments)
        # one statement over four arrays, not a statement a row: PostgreSQL plans and runs it
        # once, and the driver sends four arrays instead of a message a row
        _driver_rows(
            conn,
            "INSERT INTO counts (slot, series_id, minute, n) SELECT * FROM "
            "unnest(%s::bigint[], %s::integer[], %s::bigint[], %s::bigint[]) "
            "ON CONFLICT (slot, series_id, minute) DO UPDATE SET n = counts.n + excluded.n",
            tuple(_int_array(column) for column in zip(*rows, strict=True)),
            fetch=False,
        )

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


def _driver_rows(
    conn: Connection,
    sql: str,
    params: tuple[Any, ...] | list[tuple[Any, ...]],
    *,
    fetch: bool = True,
) -> list[tuple[Any, ...]]:
    """A statement straight on psycopg's connection, inside the transaction the framework
    began: the framework's bookkeeping of a statement and of its result (a few hundred
    microseconds) cost more than the hot statements of a worker do. Its errors come out as the
    framework's own (IntegrityError, OperationalError...), so a retry, a 503 or the pool's
    handling of a broken connection (at the rollback that follows) are as before."""
    driver = conn.connection.driver_connection
    if driver is None:  # the connection was invalidated: the framework says so
        result = conn.exec_driver_sql(sql, params)
        return [tuple(row) for row in result] if fetch else []
    try:
        with driver.cursor() as cursor:
            if isinstance(params, list):
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
            return cursor.fetchall() if fetch else []
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, params, exc, psycopg.Error, dialect=conn.dialect) from exc


def _int_array(values: Iterable[int]) -> str:
    """An array of integers as PostgreSQL's literal: the driver's list adapter costs two
    microseconds a number in Python, this a fifth of one."""
    return "{" + ",".join(map(str, values)) + "}"


@dataclass(eq=False)
class _Write:
    batch: RawBatch | None
    increments: Increments
    msg_id: str | Sequence[str] | None
    ok: bool = False
    error: BaseException | None = None
    lead: bool = False  # told to commit the writes waiting, its own among them
    wake: threading.Event = field(default_factory=threading.Event)

    def outcome(self) -> bool:
        if self.error is not None:
            raise self.error
        return self.ok


class _GroupCommit:
    """Group commit: the first writer commits what waits, and writers that come meanwhile
    wait for the next group, which one of them commits. Nobody waits for company."""

    def __init__(self, commit: Callable[[list[_Write]], None]) -> None:
        self._commit = commit
        self._lock = threading.Lock()
        self._waiting: list[_Write] = []
        self._leading = False

    def submit(self, write: _Write) -> bool:
        with self._lock:
            self._waiting.append(write)
            lead = not self._leading
            self._leading = True
        if not lead:
            write.wake.wait()
            if not write.lead:
                return write.outcome()
        with self._lock:
            group, self._waiting = self._waiting, []
        try:
            self._commit(group)
        except BaseException as exc:
            for one in group:  # not known to be stored: every writer hears it, and may retry
                one.error = exc
            raise
        finally:
            with self._lock:
                if self._waiting:
                    # the next group is committed by one of its own writers
                    nxt = self._waiting[0]
                    nxt.lead = True
                    nxt.wake.set()
                else:
                    self._leading = False
            for other in group:
                if other is not write:
                    other.wake.set()
        return write.outcome()


def _ping_when_idle(engine: Any) -> None:
    """Pings a pooled connection before use only when it sat idle a while (or broke)."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _in(_dbapi: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _out(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if not getattr(dbapi, "broken", False) and (
            since is None or time.monotonic() - since < _PING_IDLE_S
        ):
            return
        try:
            dialect.do_ping(dbapi)
        except Exception as exc:
            # the pool throws this connection away and checks out another
            raise DisconnectionError("a pooled connection no longer answers") from exc


@contextmanager
def _unavailable() -> Iterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise Unavailable("the database cannot be reached; try again", retry_after=5) from exc
