"""Minute counts on disk in SQLite: what a busy minute's commit writes to the log, and files
from before the quarter-hour layout."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.store.sqlite import SQLiteStore

FB = SeriesKey("facebook", REPORTS, WORLD)
M0 = 27_222_000


def _frames_of(path: Path, write: Any) -> int:
    """Pages `write` adds to the log (each commit appends every page it changed)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        write()
        _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames)
    finally:
        conn.close()


def test_a_busy_minute_writes_the_pages_of_its_quarter_hour_not_one_per_series(
    tmp_path: Path,
) -> None:
    path = tmp_path / "minutes.db"
    # the checkpointer stays out of the way: the test reads the log's frames itself
    store = SQLiteStore(path, checkpoint_seconds=3600, log_max_bytes=1 << 34)
    try:
        store.migrate()
        keys = [SeriesKey("whatsapp", REPORTS, f"EG/city{i}") for i in range(4000)]
        start = M0 - M0 % 15  # a quarter hour's first minute
        for minute in range(start - 60, start):  # an hour of every series before it
            store.add_counts({(key, minute): 3 for key in keys})
        for minute in (start, start + 1, start + 14):
            frames = _frames_of(path, lambda m=minute: store.add_counts({(k, m): 1 for k in keys}))
            # keyed by series first, every series' page would change: 4,000 series' hour of
            # rows fill about 900 pages, each one written again
            assert frames < 400, (minute - start, frames)
        assert store.total(keys[7], start - 60, start + 15) == 3 * 60 + 3
        assert store.read_counts(keys[7], start - 2, start + 2).values == [3, 3, 1, 1]
    finally:
        store.close()


def test_a_file_from_before_quarter_hours_has_its_counts_rekeyed(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE series (id INTEGER PRIMARY KEY, service VARCHAR(64) NOT NULL,
            signal VARCHAR(64) NOT NULL, region VARCHAR(160) NOT NULL,
            CONSTRAINT uq_series_key UNIQUE (service, signal, region));
        CREATE TABLE counts (series_id INTEGER NOT NULL, minute BIGINT NOT NULL,
            n BIGINT NOT NULL, PRIMARY KEY (series_id, minute)) WITHOUT ROWID;
        CREATE INDEX ix_counts_minute ON counts (minute);
        """
    )
    conn.execute("INSERT INTO series VALUES (1, 'facebook', 'reports', '*')")
    conn.executemany("INSERT INTO counts VALUES (1, ?, ?)", [(M0 + m, m) for m in range(40)])
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    try:
        store.migrate()
        store.migrate()  # once rekeyed, again changes nothing
        assert store.read_counts(FB, M0, M0 + 40).values == list(range(40))
        store.add_counts({(FB, M0 + 1): 5})
        assert store.total(FB, M0, M0 + 2) == 6
    finally:
        store.close()
    conn = sqlite3.connect(path)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(counts)")]
    conn.close()
    assert columns == ["slot", "series_id", "minute", "n"]
