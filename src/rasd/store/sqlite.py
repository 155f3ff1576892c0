"""SQLite store: WAL mode, many readers, one writer thread that commits in groups.

Every write goes through one thread so SQLite never sees two writers; requests that arrive
while a transaction commits are committed together in the next one, which is what makes
single-report POSTs cheap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Connection, create_engine, event
from sqlalchemy.pool import StaticPool

from rasd.series import SeriesKey
from rasd.store import schema
from rasd.store.base import SqlStore
from rasd.store.checkpointer import Checkpointer
from rasd.store.counts import Increments, RawBatch
from rasd.store.migrations import rekey_counts

T = TypeVar("T")

_GROUP_LIMIT = 512
_CHECKPOINT_PAGES = 12_288  # of 4 KiB: 48 MiB
_LOG_KEPT_BYTES = 64 << 20
_WRITER_CACHE_KIB = 128 << 10
_STOP = object()
# count rows a statement upserts: a busy minute's thousands of rows in a few dozen statements,
# each one step of the database, not one a row (and one hand-over of the interpreter a row,
# which the threads counting and detecting meanwhile wait on)
_UPSERT_ROWS = (256, 16)
_UPSERT = {
    size: "INSERT INTO counts (slot, series_id, minute, n) VALUES "
    + ", ".join(["(?, ?, ?, ?)"] * size)
    + " ON CONFLICT (slot, series_id, minute) DO UPDATE SET n = counts.n + excluded.n"
    for size in (*_UPSERT_ROWS, 1)
}
# new series a statement makes, as for the counts: few statements, each prepared once
_SERIES_ROWS = (64, 8, 1)
_NEW_SERIES = {
    size: "INSERT INTO series (service, signal, region) VALUES "
    + ", ".join(["(?, ?, ?)"] * size)
    # a no-op update makes RETURNING name rows another writer created first
    + " ON CONFLICT (service, signal, region) DO UPDATE SET service = excluded.service"
    + " RETURNING id, service, signal, region"
    for size in _SERIES_ROWS
}


class SQLiteStore(SqlStore):
    dialect = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "NORMAL",
        checkpoint_seconds: float = 2.0,
        log_max_bytes: int = _LOG_KEPT_BYTES,
    ) -> None:
        self.path = str(path)
        memory = self.path == ":memory:"
        if not memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        url = "sqlite://" if memory else f"sqlite:///{self.path}"
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if memory:
            # one shared connection, or every connection would see its own empty database
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a killed process; FULL also survives power loss
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA busy_timeout=10000")
            # The checkpointer thread writes the log back beside the writer, so no commit
            # waits for it; the commit that crosses 48 MB of log is the backstop (it took
            # 1 GB while counts were clustered by series and a busy minute's commit dirtied a
            # page per series: checkpointing every 4 MB wrote the same pages back again and
            # again). The log file is cut back to 64 MB after each checkpoint.
            cursor.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA journal_size_limit={_LOG_KEPT_BYTES}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        super().__init__(engine)
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock() if memory else None
        # whoever writes holds it: the writer thread, or a caller writing at once
        self._writing = threading.Lock()
        self._pending = 0  # writes handed to the writer thread and not yet committed
        # Writes at once are for files whose commits do not wait for the disk (WAL with
        # NORMAL: the log is synced at checkpoints only). In memory the one connection is
        # shared with the readers; with FULL every commit waits for the disk.
        self._commits_fast = not memory and synchronous.upper() in ("OFF", "NORMAL")
        self._pending_lock = threading.Lock()
        self._conn: Connection | None = None
        self._at_once_conn: Connection | None = None
        self._writer = threading.Thread(target=self._run, name="rasd-sqlite-writer", daemon=True)
        self._writer.start()
        self.checkpointer: Checkpointer | None = None
        if not memory:
            self.checkpointer = Checkpointer(
                self.path, interval=checkpoint_seconds, log_max_bytes=log_max_bytes
            )
            self.checkpointer.start()

    def migrate(self) -> None:
        """The declared schema; a file made before minute counts were kept by quarter hour
        has them rebuilt in that order first (what revision 0007 does elsewhere), one made
        before batches named their shard is given the column (revision 0009), and one made
        before an index was declared is given it (as revision 0008 does elsewhere)."""

        def rekey(conn: Connection) -> None:
            columns = [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(counts)")]
            if columns and "slot" not in columns:
                rekey_counts(conn, by_slot=True)
            columns = [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(report_batches)")]
            if columns and "shard" not in columns:
                conn.exec_driver_sql("ALTER TABLE report_batches ADD COLUMN shard SMALLINT")

        def indexes(conn: Connection) -> None:
            # the tables made before were left as they were: only their new indexes are added
            for table in schema.metadata.sorted_tables:
                for index in table.indexes:
                    index.create(conn, checkfirst=True)

        self.write(rekey)
        super().migrate()
        self.write(indexes)

    def write(self, fn: Callable[[Connection], T]) -> T:
        if threading.current_thread() is self._writer:
            raise RuntimeError("a write inside a write would wait for itself")
        return self.submit(fn).result()

    def submit(self, fn: Callable[[Connection], T]) -> Future[T]:
        """Hands a write to the writer thread; the future is done once it is committed."""
        future: Future[T] = Future()
        with self._pending_lock:
            self._pending += 1
        self._jobs.put((fn, future))
        return future

    def write_reports_later(
        self,
        batch: RawBatch | None,
        increments: Increments,
        msg_id: str | Sequence[str] | None,
        *,
        at_once: bool = False,
    ) -> Future[bool]:
        """`write_reports`, without waiting for the commit: nothing blocks on the writer.

        `at_once`: a small write that the caller's thread makes itself when the writer thread
        has nothing to do, which spares the two thread switches of handing it over (they cost
        more than the write; see `_write_at_once`). The future is then done on return.
        """

        def write(conn: Connection) -> bool:
            return self._write_reports(conn, batch, increments, msg_id)

        if at_once:
            done = self._write_at_once(write)
            if done is not None:
                return done
        return self.submit(write)

    def add_counts_later(self, increments: Increments, msg_id: str | None) -> Future[bool]:
        """`add_counts`, without waiting for the commit."""
        return self.submit(lambda conn: self._add_claimed_counts(conn, increments, msg_id))

    def _write_at_once(self, fn: Callable[[Connection], T]) -> Future[T] | None:
        """`fn` committed by the calling thread, if no write is queued or under way: the order
        of writes stays the order they were handed over. None when the writer is busy or the
        database is locked by another process: the caller queues it then, as nobody here
        waits for a lock (on an event loop that would hold up every request). None too while
        the checkpointer truncates the log: it holds writers back, and a write that fails on
        the lock would also drop the series ids the writer knows."""
        if self._lock is not None or not self._commits_fast:
            return None
        if self.checkpointer is not None and self.checkpointer.holding:
            return None
        if self._pending or not self._writing.acquire(blocking=False):
            return None
        try:
            if self._pending:  # handed over while we took the lock
                return None
            try:
                (result,) = self._in_transaction([fn], self._connection(at_once=True))
            except Exception:  # noqa: BLE001 - undone; the writer thread makes it and answers
                return None
        finally:
            self._writing.release()
        done: Future[T] = Future()
        done.set_result(result)
        return done

    def _add_counts(self, conn: Connection, increments: Increments) -> None:
        """The rows many a statement (`_UPSERT_ROWS`); the rows of one write name each
        (series, minute) once, so no statement meets its own row twice. In order of series
        (one writer needs no order against deadlocks): a minute's rows then go into the
        quarter hour's pages, and the minutes' index, one after the other, not each to a
        page of its own choosing, which took SQLite about a third more CPU a row. Sorted by
        the ids alone, in C: sorting the rows as tuples cost more than it saved."""
        if not increments:
            return
        columns = self._count_columns(conn, increments)
        n = len(columns[0])
        # the rows as a table of int64 in numpy, ordered by a stable sort of the ids there and
        # cut into each statement's parameters by reshaping: the sort, the gathering and the
        # lists of parameters all in C, under the interpreter lock for less than half the time
        # of sorting positions by a key and laying the columns into one list by slices
        table = np.empty((n, 4), np.int64)
        for i, column in enumerate(columns):
            table[:, i] = np.fromiter(column, np.int64, n)
        table = table[np.argsort(table[:, 1], kind="stable")]
        start = 0
        for size in _UPSERT_ROWS:
            end = start + (n - start) // size * size
            if end > start:
                rows = table[start:end].reshape(-1, 4 * size).tolist()
                self._driver_sql(conn, _UPSERT[size], rows)
                start = end
        if start < n:
            self._driver_sql(conn, _UPSERT[1], table[start:].tolist())

    def _new_series(
        self, conn: Connection, keys: set[SeriesKey]
    ) -> Iterable[tuple[int, str, str, str]]:
        """The driver's own statements, many series each (`_SERIES_ROWS`): the expression
        form took the writer's Python several times what the database did, a series at a
        time, and a day names tens of thousands (cities, networks)."""
        driver = conn.connection.driver_connection
        if driver is None:  # the connection was invalidated: the framework says so
            return super()._new_series(conn, keys)
        rows = list(keys)
        made: list[tuple[int, str, str, str]] = []
        cursor = driver.cursor()
        try:
            start = 0
            for size in _SERIES_ROWS:
                for end in range(start + size, len(rows) + 1, size):
                    values = list(chain.from_iterable(rows[start:end]))
                    made.extend(cursor.execute(_NEW_SERIES[size], values).fetchall())
                    start = end
        finally:
            cursor.close()
        return made

    def _driver_sql(self, conn: Connection, sql: str, params: tuple[Any, ...] | list[Any]) -> None:
        # straight to the sqlite3 connection, inside the transaction the framework began: its
        # statement bookkeeping cost as much as the statement for a group of single reports
        driver = conn.connection.driver_connection
        if driver is None:  # the connection was invalidated: the framework says so
            super()._driver_sql(conn, sql, params)
            return
        cursor = driver.cursor()
        try:
            if isinstance(params, list):
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        finally:
            cursor.close()

    def read(self, fn: Callable[[Connection], T]) -> T:
        if self._lock is None:
            return super().read(fn)
        with self._lock:
            return super().read(fn)

    def close(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        if self._writer.is_alive():
            self._jobs.put(_STOP)
            self._writer.join()
        for conn in (self._conn, self._at_once_conn):
            if conn is not None:
                conn.close()
        super().close()

    def _connection(self, *, at_once: bool = False) -> Connection:
        """The writer's own connection, kept open: taking one from the pool and handing it
        back for every group costs as much as a small group's statements. `at_once`: the one
        for writes that callers make themselves, which never waits for another process's
        lock (a busy timeout of 0), so that an event loop is never held up by one."""
        conn = self._at_once_conn if at_once else self._conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self.engine.connect()
            # a busy minute dirties a page per series it counts: room for all of them, so
            # none is written out before the commit and read back for the next insert
            conn.exec_driver_sql(f"PRAGMA cache_size=-{_WRITER_CACHE_KIB}")
            if at_once:
                conn.exec_driver_sql("PRAGMA busy_timeout=0")
            conn.commit()
            if at_once:
                self._at_once_conn = conn
            else:
                self._conn = conn
        return conn

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is _STOP:
                return
            group = [first]
            stop = False
            while len(group) < _GROUP_LIMIT:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stop = True
                    break
                group.append(job)
            taken = len(group)
            # a write its caller cancelled before it began is not made
            group = [job for job in group if job[1].set_running_or_notify_cancel()]
            with self._writing:
                if group:
                    self._commit_group(group)
                with self._pending_lock:
                    self._pending -= taken
            if stop:
                return

    def _commit_group(self, group: list[tuple[Callable[[Connection], Any], Future[Any]]]) -> None:
        try:
            results = self._in_transaction([fn for fn, _ in group])
        except Exception:
            # one bad job must not fail the others: run each alone to find it
            for fn, future in group:
                try:
                    (result,) = self._in_transaction([fn])
                except Exception as exc:  # noqa: BLE001 - handed to the caller
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            return
        for (_, future), result in zip(group, results, strict=True):
            future.set_result(result)

    def _in_transaction(
        self, fns: list[Callable[[Connection], Any]], conn: Connection | None = None
    ) -> list[Any]:
        try:
            if self._lock is not None:
                with self._lock:
                    conn = conn or self._connection()
                    with conn.begin():
                        return [fn(conn) for fn in fns]
            conn = conn or self._connection()
            with conn.begin():
                return [fn(conn) for fn in fns]
        except Exception:
            # series ids handed out inside the undone transaction do not exist
            self._series_ids = {}
            self._series_by_id = {}
            raise
