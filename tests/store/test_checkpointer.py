"""The checkpointer thread writes the log back into the database file, beside the writer."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rasd.series import REPORTS, SeriesKey
from rasd.store.sqlite import SQLiteStore

M0 = 27_222_000


def test_the_log_is_written_back_without_a_commit_waiting_for_it(tmp_path: Path) -> None:
    path = tmp_path / "logged.db"
    store = SQLiteStore(path, checkpoint_seconds=0.05)
    try:
        store.migrate()
        assert store.checkpointer is not None
        before = store.checkpointer.checkpoints
        size = os.path.getsize(path)
        # far below the writer's own 1 GB checkpoint: only the thread writes pages back
        store.add_counts(
            {(SeriesKey(f"s{i}", REPORTS, "EG"), M0 + j): 1 for i in range(200) for j in range(20)}
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            store.checkpointer.checkpoints <= before or os.path.getsize(path) <= size
        ):
            time.sleep(0.05)
        assert store.checkpointer.checkpoints > before
        assert os.path.getsize(path) > size  # the counts' pages are in the database file now
        assert store.total(SeriesKey("s7", REPORTS, "EG"), M0, M0 + 20) == 20
    finally:
        store.close()
    assert not store.checkpointer.running


def test_an_in_memory_store_has_no_checkpointer() -> None:
    store = SQLiteStore(":memory:")
    try:
        assert store.checkpointer is None
    finally:
        store.close()


def test_the_log_stays_bounded_while_readers_never_stop(tmp_path: Path) -> None:
    """Readers that overlap one another keep a PASSIVE checkpoint from starting the log over;
    past a quarter of its limit the checkpointer truncates it once the readers of the moment
    are done."""
    import sqlite3
    import threading

    path = tmp_path / "busy.db"
    limit = 1 << 20
    store = SQLiteStore(path, checkpoint_seconds=0.05, log_max_bytes=limit)
    stop = threading.Event()

    def read_on(delay: float) -> None:
        conn = sqlite3.connect(path, check_same_thread=False)
        time.sleep(delay)
        while not stop.is_set():
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM counts").fetchone()
            time.sleep(0.03)
            conn.execute("COMMIT")
        conn.close()

    try:
        store.migrate()
        readers = [threading.Thread(target=read_on, args=(d,)) for d in (0.0, 0.015)]
        for reader in readers:
            reader.start()
        written = 0
        for round_ in range(40):
            store.add_counts(
                {(SeriesKey(f"s{i}", REPORTS, "EG"), M0 + round_): 1 for i in range(2000)}
            )
            written += 1
        assert store.checkpointer is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            store.checkpointer.truncations == 0 or os.path.getsize(f"{path}-wal") > limit
        ):
            time.sleep(0.05)
        assert store.checkpointer.truncations >= 1
        assert os.path.getsize(f"{path}-wal") <= limit
        assert store.total(SeriesKey("s7", REPORTS, "EG"), M0, M0 + 40) == written
    finally:
        stop.set()
        store.close()


def test_a_reader_that_never_ends_its_snapshot_is_waited_for_only_so_long(
    tmp_path: Path,
) -> None:
    """A truncating checkpoint gives up after `busy_ms` while a reader stays on an old
    snapshot (writers are held back only that long), counts it, and wins once it is gone."""
    import sqlite3

    path = tmp_path / "held.db"
    limit = 256 << 10
    store = SQLiteStore(path, checkpoint_seconds=0.05, log_max_bytes=limit)
    assert store.checkpointer is not None
    store.checkpointer.busy_ms = 50
    reader = sqlite3.connect(path, check_same_thread=False)
    try:
        store.migrate()
        store.add_counts({(SeriesKey("s0", REPORTS, "EG"), M0): 1})
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM counts").fetchone()  # holds this snapshot
        for round_ in range(20):
            store.add_counts(
                {(SeriesKey(f"s{i}", REPORTS, "EG"), M0 + round_): 1 for i in range(1000)}
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and store.checkpointer.starved == 0:
            time.sleep(0.02)
        assert store.checkpointer.starved >= 1
        # the writer goes on meanwhile
        store.add_counts({(SeriesKey("s1", REPORTS, "EG"), M0 + 30): 1})
        reader.execute("COMMIT")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            store.checkpointer.truncations == 0 or os.path.getsize(f"{path}-wal") > limit
        ):
            time.sleep(0.02)
        assert os.path.getsize(f"{path}-wal") <= limit
        assert store.checkpointer.truncations >= 1
    finally:
        reader.close()
        store.close()


def test_truncating_starts_at_a_quarter_of_the_limit(tmp_path: Path) -> None:
    """Room for the rounds that give up: the log is started over once it passes a quarter of
    its limit, long before the limit."""
    path = tmp_path / "quarter.db"
    limit = 4 << 20
    store = SQLiteStore(path, checkpoint_seconds=0.05, log_max_bytes=limit)
    assert store.checkpointer is not None
    try:
        store.migrate()
        round_ = 0
        while store.checkpointer.truncations == 0 and os.path.getsize(f"{path}-wal") <= (
            limit // 4 + (128 << 10)
        ):
            store.add_counts(
                {(SeriesKey(f"s{i}", REPORTS, "EG"), M0 + round_): 1 for i in range(500)}
            )
            round_ += 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and store.checkpointer.truncations == 0:
            time.sleep(0.02)
        assert store.checkpointer.truncations >= 1
        assert store.checkpointer.largest_log < limit // 2
    finally:
        store.close()


def _log_starts(path: Path) -> bytes:
    with open(f"{path}-wal", "rb") as log:
        return log.read(16)[12:]


def test_a_written_back_log_starts_over_at_the_next_write_untruncated(tmp_path: Path) -> None:
    """A round whose short pass finds nothing committed since the last one leaves the log to
    start over at the file's beginning: the next write does, the file does not grow, and no
    truncation held the writers back, even with the file past the quarter."""
    import sqlite3

    path = tmp_path / "again.db"
    store = SQLiteStore(path, checkpoint_seconds=3600)
    try:
        store.migrate()
        store.add_counts(
            {(SeriesKey(f"s{i}", REPORTS, "EG"), M0 + j): 1 for i in range(200) for j in range(5)}
        )
        checkpointer = store.checkpointer
        assert checkpointer is not None
        checkpointer.close()  # its rounds are run here, one by one
        checkpointer.log_max_bytes = 64 << 10
        size, starts = os.path.getsize(f"{path}-wal"), _log_starts(path)
        assert size > 16 << 10  # past the quarter: the round may truncate
        conn = sqlite3.connect(path)
        try:
            checkpointer._checkpoint(conn, 4096, too_big=True)
        finally:
            conn.close()
        assert (checkpointer.settled, checkpointer.truncations) == (1, 0)
        store.add_counts({(SeriesKey("s7", REPORTS, "EG"), M0): 1})
        assert _log_starts(path) != starts  # started over
        assert os.path.getsize(f"{path}-wal") == size
        assert store.total(SeriesKey("s7", REPORTS, "EG"), M0, M0 + 5) == 6
    finally:
        store.close()


def test_a_log_a_reader_kept_from_starting_over_is_truncated_the_round_after(
    tmp_path: Path,
) -> None:
    """The round after one that left the log to start over finds it did not (a reader held
    its snapshot meanwhile): no more short passes, a truncation once the reader is gone."""
    import sqlite3

    path = tmp_path / "kept.db"
    store = SQLiteStore(path, checkpoint_seconds=3600)
    reader = sqlite3.connect(path, check_same_thread=False)
    conn = sqlite3.connect(path)
    try:
        store.migrate()
        rows = {(SeriesKey(f"s{i}", REPORTS, "EG"), M0): 1 for i in range(300)}
        store.add_counts(rows)
        checkpointer = store.checkpointer
        assert checkpointer is not None
        checkpointer.close()  # its rounds are run here, one by one
        checkpointer.log_max_bytes = 64 << 10
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM counts").fetchone()  # a snapshot in the log
        checkpointer._checkpoint(conn, 4096, too_big=True)
        assert checkpointer.settled == 1
        store.add_counts(rows)  # cannot start the log over: it goes on at its end
        reader.execute("COMMIT")
        checkpointer._checkpoint(conn, 4096, too_big=True)
        assert (checkpointer.settled, checkpointer.truncations) == (1, 1)
        assert os.path.getsize(f"{path}-wal") == 0
        assert store.total(SeriesKey("s7", REPORTS, "EG"), M0, M0 + 1) == 2
    finally:
        conn.close()
        reader.close()
        store.close()
