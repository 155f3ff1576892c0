"""Counting: the consumer side of the log. Turns each kind of payload into stored counts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rasd.clock import Clock
from rasd.errors import Unavailable
from rasd.series import SeriesKey
from rasd.signals.reports import ReportColumns, ReportCounter, batch_rows
from rasd.store.base import Increments, Store

Listener = Callable[[Increments], None]


class Aggregator:
    """One owner per series: applies payloads in order, each in one store transaction."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        reports: ReportCounter | None = None,
        counters: dict[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.reports = reports or ReportCounter()
        # posts, probes: objects with count(payload) -> increments (their signals' modules)
        self.counters: dict[str, Any] = dict(counters or {})
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self.applied = {"reports": 0, "counted": 0, "duplicates": 0, "limited": 0}

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def restore(self) -> None:
        """After a restart, remember who reported lately so nobody counts twice."""
        with self._lock:
            self._remember_recent()

    def _remember_recent(self) -> None:
        since = self.clock.now() - timedelta(minutes=max(60, self.reports.dedupe_minutes))
        rows = []
        for batch in self.store.recent_batches(int(since.timestamp() * 1000)):
            rows.extend(batch_rows(batch))
        self.reports.remember(rows)

    async def handle(self, kind: str, payload: Any, msg_id: str) -> None:
        await asyncio.to_thread(self.apply, kind, payload, msg_id)

    def apply(self, kind: str, payload: Any, msg_id: str) -> None:
        with self._lock:
            if kind == "reports":
                increments = self._apply_reports(payload, msg_id)
            elif kind in self.counters:
                increments = self.counters[kind].count(payload)
                self._store(lambda: self.store.add_counts(increments, msg_id))
            else:
                raise ValueError(f"no counter for {kind!r}")
        for listener in self._listeners:
            listener(increments)

    def _apply_reports(self, cols: ReportColumns, msg_id: str) -> dict[tuple[SeriesKey, int], int]:
        counted = self.reports.count(cols)
        self._store(lambda: self.store.write_reports(counted.batch, counted.increments, msg_id))
        self.applied["reports"] += len(cols)
        self.applied["counted"] += counted.counted
        self.applied["duplicates"] += counted.duplicates
        self.applied["limited"] += counted.limited
        return counted.increments

    def _store(self, write: Callable[[], bool]) -> None:
        try:
            write()
        except Exception as exc:
            # the dedupe windows already saw this batch: rebuild them from what is stored,
            # so the client's retry counts
            self.reports = ReportCounter(
                dedupe_minutes=self.reports.dedupe_minutes,
                network_limit=self.reports.network_limit,
                reporter_limit=self.reports.reporter_limit,
            )
            try:
                self._remember_recent()
            except Exception:  # the store is still away; the windows start empty
                pass
            raise Unavailable("the store did not take the write; try again", retry_after=2) from exc
