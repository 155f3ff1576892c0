"""The SQLite store's one writer thread: writes handed over without waiting for them."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.store.sqlite import SQLiteStore

FB = SeriesKey("facebook", REPORTS, WORLD)
M0 = 27_222_000


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "writer.db")
    s.migrate()
    yield s
    s.close()


def test_reports_written_later_are_there_once_the_future_is_done(store: SQLiteStore) -> None:
    later = [store.write_reports_later(None, {(FB, M0): 1}, msg_id) for msg_id in ("a", "b")]
    again = store.write_reports_later(None, {(FB, M0): 1}, "a")
    assert [f.result(10) for f in later] == [True, True]
    assert again.result(10) is False
    assert store.total(FB, M0, M0 + 1) == 2


def test_a_write_cancelled_before_it_began_is_not_made(store: SQLiteStore) -> None:
    began, go = threading.Event(), threading.Event()

    def hold(conn: Any) -> None:  # keeps the writer busy while the next write is cancelled
        began.set()
        go.wait(10)

    busy = store.submit(hold)
    began.wait(10)
    cancelled = store.write_reports_later(None, {(FB, M0): 5}, "cancelled")
    assert cancelled.cancel()
    after = store.write_reports_later(None, {(FB, M0): 1}, "after")
    go.set()
    busy.result(10)
    assert after.result(10) is True  # the writer went on
    assert store.total(FB, M0, M0 + 1) == 1
    assert store.applied_among(["cancelled", "after"]) == {"after"}


def test_the_writer_takes_a_new_connection_when_its_own_broke(store: SQLiteStore) -> None:
    store.add_counts({(FB, M0): 1})
    first = store._conn
    assert first is not None
    first.invalidate()  # what SQLAlchemy does to a connection whose database went away
    store.add_counts({(FB, M0): 2})
    assert store._conn is not first
    assert store.total(FB, M0, M0 + 1) == 3


def _in_writer_thread(store: SQLiteStore) -> list[str]:
    """Records the thread each write of reports is made in."""
    threads: list[str] = []
    write = store._write_reports

    def recorded(*args: Any) -> bool:
        threads.append(threading.current_thread().name)
        return write(*args)

    store._write_reports = recorded  # type: ignore[method-assign,assignment]
    return threads


def test_a_write_at_once_is_made_by_the_caller_when_the_writer_is_idle(
    store: SQLiteStore,
) -> None:
    threads = _in_writer_thread(store)
    done = store.write_reports_later(None, {(FB, M0): 2}, None, at_once=True)
    assert done.done() and done.result() is True  # committed before it returned
    assert threads == [threading.current_thread().name]
    assert store.total(FB, M0, M0 + 1) == 2


def test_a_write_at_once_waits_its_turn_behind_the_writers_work(store: SQLiteStore) -> None:
    threads = _in_writer_thread(store)
    began, go = threading.Event(), threading.Event()
    order: list[str] = []

    def hold(conn: Any) -> None:
        began.set()
        go.wait(10)
        order.append("held")

    busy = store.submit(hold)
    began.wait(10)
    queued = store.write_reports_later(None, {(FB, M0): 1}, None, at_once=True)
    assert not queued.done()  # the writer is busy: it is handed over, in order
    queued.add_done_callback(lambda _: order.append("reports"))
    go.set()
    busy.result(10)
    assert queued.result(10) is True
    assert order == ["held", "reports"]
    assert threads == ["rasd-sqlite-writer"]
    # once the writer has nothing in hand, the caller writes again
    assert store.write_reports_later(None, {(FB, M0): 1}, None, at_once=True).done()
    assert store.total(FB, M0, M0 + 1) == 2


def test_a_write_at_once_is_handed_over_while_the_log_is_truncated(store: SQLiteStore) -> None:
    """A truncating checkpoint holds writers back: the caller does not try, the writer thread
    commits it, and the future is done only once it is committed."""
    threads = _in_writer_thread(store)
    checkpointer = store.checkpointer
    assert checkpointer is not None
    began, go = threading.Event(), threading.Event()

    def hold(conn: Any) -> None:
        began.set()
        go.wait(10)

    store.submit(hold)
    began.wait(10)
    checkpointer.holding = True
    try:
        # the writer is busy as well here, so that the write is seen waiting for its commit
        handed = store.write_reports_later(None, {(FB, M0): 4}, None, at_once=True)
        assert not handed.done()
    finally:
        checkpointer.holding = False
    assert store.total(FB, M0, M0 + 1) == 0  # not committed, not acknowledged
    go.set()
    assert handed.result(10) is True
    assert threads == ["rasd-sqlite-writer"]
    assert store.total(FB, M0, M0 + 1) == 4


def test_a_write_at_once_is_not_tried_while_the_log_is_truncated(store: SQLiteStore) -> None:
    threads = _in_writer_thread(store)
    checkpointer = store.checkpointer
    assert checkpointer is not None
    checkpointer.holding = True
    try:
        assert store.write_reports_later(None, {(FB, M0): 1}, None, at_once=True).result(10)
    finally:
        checkpointer.holding = False
    assert threads == ["rasd-sqlite-writer"]


def test_a_write_at_once_does_not_wait_for_another_process(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """Another connection holds the write lock: the caller (an event loop) is not held up for
    the busy timeout; the writer thread waits for the lock and commits."""
    other = sqlite3.connect(tmp_path / "writer.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    handed: list[Future[bool]] = []
    caller = threading.Thread(
        target=lambda: handed.append(
            store.write_reports_later(None, {(FB, M0): 3}, None, at_once=True)
        )
    )
    caller.start()
    caller.join(5)  # far less than the busy timeout (10 s) that the writer thread waits
    assert handed and not handed[0].done()  # back while the lock is still held: handed over
    other.execute("COMMIT")
    other.close()
    assert handed[0].result(10) is True
    assert store.total(FB, M0, M0 + 1) == 3
    driver = store._connection().connection.driver_connection
    assert driver is not None
    assert driver.execute("PRAGMA busy_timeout").fetchone() == (10_000,)  # as it was


def test_with_commits_that_wait_for_the_disk_every_write_goes_to_the_writer(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "full.db", synchronous="FULL")
    store.migrate()
    threads = _in_writer_thread(store)
    assert store.write_reports_later(None, {(FB, M0): 1}, None, at_once=True).result(10)
    assert threads == ["rasd-sqlite-writer"]
    store.close()
