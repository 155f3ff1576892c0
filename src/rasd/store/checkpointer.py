"""Copies SQLite's write-ahead log back into the database file beside the writer, not in it.

A checkpoint SQLite runs by itself runs inside the commit that crossed the threshold, so one
request in many waited for the whole log to be written back and synced. This thread runs a
PASSIVE checkpoint every `interval` seconds while there is a log, which never blocks the writer
or a reader and costs nothing when everything is written back already; the writer's own
automatic checkpoint stays as the backstop.

A PASSIVE checkpoint copies pages back but cannot start the log over while readers still
look at older snapshots, and a busy server always has readers: the log file then grows
without end (600 MB in one demo). So once the log passes `log_max_bytes / 4` the thread runs
a TRUNCATE checkpoint, which waits for the readers of the moment to finish (at most `busy_ms`:
one that gives up is counted in `starved` and the next round tries again), holds new writers
back while it copies the rest, and cuts the file to nothing. The quarter leaves room for the
rounds that give up: between two of them the writer goes on (a full-speed replay with two page
readers went from half the limit to past it, 66 MB, across four of them).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

_log = logging.getLogger("rasd.store.sqlite")


class Checkpointer:
    def __init__(
        self,
        path: str,
        *,
        interval: float = 2.0,
        log_max_bytes: int = 64 << 20,
        busy_ms: int = 2_000,
    ) -> None:
        self.path = path
        self.interval = interval
        self.log_max_bytes = log_max_bytes
        self.busy_ms = busy_ms
        self.checkpoints = 0  # how many ran: for tests and metrics
        self.truncations = 0
        # truncating checkpoints that gave up: a reader was still on an old snapshot after
        # `busy_ms` (the next round tries again; writers wait at most that long meanwhile)
        self.starved = 0
        self.largest_log = 0  # bytes: the most the log file was seen to hold
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="rasd-sqlite-checkpointer", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _log_size(self) -> int:
        try:
            return os.path.getsize(f"{self.path}-wal")
        except OSError:
            return 0

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        # the size is looked at often (a stat), the log written back every `interval`
        look = min(self.interval, 0.25)
        last_passive = time.monotonic()
        try:
            while not self._stop.wait(look):
                size = self._log_size()
                self.largest_log = max(self.largest_log, size)
                too_big = size > self.log_max_bytes // 4
                if size == 0 or (not too_big and time.monotonic() - last_passive < self.interval):
                    continue
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, check_same_thread=False)
                        conn.execute(f"PRAGMA busy_timeout={self.busy_ms}")
                    if too_big:
                        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                        if busy:
                            self.starved += 1
                        else:
                            self.truncations += 1
                    else:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    last_passive = time.monotonic()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # the next round tries again
                    _log.warning("background checkpoint failed: %s", exc)
        finally:
            if conn is not None:
                conn.close()
