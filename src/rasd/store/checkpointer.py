"""Copies SQLite's write-ahead log back into the database file beside the writer, not in it.

A checkpoint SQLite runs by itself runs inside the commit that crossed the threshold, so one
request in many waited for the whole log to be written back and synced. This thread runs a
PASSIVE checkpoint every `interval` seconds while there is a log, which never blocks the writer
or a reader and costs nothing when everything is written back already; the writer's own
automatic checkpoint stays as the backstop.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

_log = logging.getLogger("rasd.store.sqlite")


class Checkpointer:
    def __init__(self, path: str, *, interval: float = 2.0) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0  # how many ran: for tests and metrics
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

    def _has_log(self) -> bool:
        return os.path.exists(f"{self.path}-wal")

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.interval):
                if not self._has_log():
                    continue
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, check_same_thread=False)
                        conn.execute("PRAGMA busy_timeout=10000")
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # the next round tries again
                    _log.warning("background checkpoint failed: %s", exc)
        finally:
            if conn is not None:
                conn.close()
