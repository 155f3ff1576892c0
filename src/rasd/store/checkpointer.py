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

What decides is the log, not its file: once all of it is written back, the next write starts
it over at the file's beginning, and the file keeps its size (SQLite cuts it back to the limit
only). A pass that a commit lands in leaves the log short of written back, so under a steady
stream of commits (single report POSTs: hundreds a second) the log never started over and
was truncated whenever the file passed the quarter, which holds every writer back while it
waits, copies and syncs: 10-107 ms every 2-4 s at 12,000 POSTs/s. So the long pass is
followed by short ones, which copy what was committed meanwhile, until one finds the log
as the last one left it (nobody committed since: the next write starts it over) or it has
started over already; a truncation is left for a log that still did not.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

_log = logging.getLogger("rasd.store.sqlite")
# short passes after the long one, at most: each copies what was committed during the one
# before it, so they shrink; under a steady stream of commits one with none often comes soon
_SETTLING_PASSES = 4


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
        self.settled = 0  # rounds that left the log to start over at the next write
        self.largest_log = 0  # bytes: the most the log file was seen to hold
        # a truncating checkpoint holds writers back: a plain flag, read without a lock by
        # writers that can choose not to try meanwhile
        self.holding = False
        # how often the log had started over when a round left it to start over at the next
        # write: the same count at the next round says it did not (None: no round left it so)
        self._left: bytes | None = None
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

    def _starts(self) -> bytes:
        """The log file's checkpoint sequence number (its header's bytes 12-15), which SQLite
        counts up each time the log starts over; empty without a log."""
        try:
            with open(f"{self.path}-wal", "rb") as log:
                return log.read(16)[12:]
        except OSError:
            return b""

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        page = 4096
        # the size is looked at often (a stat), the log written back every `interval`
        look = min(self.interval, 0.25)
        last_passive = time.monotonic()
        # the file's size at the last round: it grows only when the log passes the most it
        # ever held, and a file past the quarter that does not grow has a log that starts over
        checked = 0
        try:
            while not self._stop.wait(look):
                size = self._log_size()
                self.largest_log = max(self.largest_log, size)
                too_big = size > self.log_max_bytes // 4
                due = time.monotonic() - last_passive >= self.interval
                if size == 0 or not (due or (too_big and size > checked)):
                    continue
                checked = size
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, check_same_thread=False)
                        conn.execute(f"PRAGMA busy_timeout={self.busy_ms}")
                        page = conn.execute("PRAGMA page_size").fetchone()[0]
                    self._checkpoint(conn, page, too_big)
                    last_passive = time.monotonic()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # the next round tries again
                    _log.warning("background checkpoint failed: %s", exc)
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection, page: int, too_big: bool) -> None:
        """PASSIVE, then short ones until the log can start over (or has); TRUNCATE if the
        file is past the quarter and so is a log that did not start over."""
        _, pages, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        # left to start over last round and it did not: a reader holds it, passes cannot help
        stuck = self._left is not None and self._left == self._starts()
        most, settled = pages, False
        for _ in range(0 if stuck else _SETTLING_PASSES):
            busy, now, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if busy:  # another connection checkpoints: it says nothing of this log
                break
            if now <= pages:  # nothing committed since the last pass, or the log started over
                settled = True
                break
            pages = most = now
        self._left = self._starts() if settled else None
        self.settled += settled
        if settled or not too_big or most * page <= self.log_max_bytes // 4:
            return
        self.holding = True
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            self.holding = False
        if busy:
            self.starved += 1
        else:
            self.truncations += 1
            self._left = None
