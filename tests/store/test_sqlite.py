"""The SQLite store's one writer thread: writes handed over without waiting for them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
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
