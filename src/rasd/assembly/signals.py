"""The counters of every signal, and the state detection reads from them."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from rasd.catalog import Catalog
from rasd.clock import minute_of
from rasd.counting.counter import Counter
from rasd.series import SeriesKey
from rasd.settings import Settings
from rasd.signals.posts import PostCounter
from rasd.signals.probes import (
    ProbeColumns,
    ProbeCounter,
    ProbeEvidence,
    ProbeResult,
    ProbeState,
    VantageSeen,
)
from rasd.signals.reports import ReportCounter
from rasd.signals.routes import RouteCounter, RouteState, services_of_owners, watched_prefixes
from rasd.signals.text import AliasMatcher

_time_of = attrgetter("ts")


class SharedProbeState(ProbeState):
    """Fed by counting, read by detection: two threads, so one lock. Results older than
    the window (minutes before the newest result) are forgotten as the newest moves on."""

    def __init__(self) -> None:
        # an in-process replay feeds up to four minutes ahead of the tick: each key keeps
        # enough results that the tick's own minute is still among them
        super().__init__(per_key=10)
        self._lock = threading.RLock()
        self._newest: int | None = None

    def feed(self, results: Iterable[ProbeResult]) -> None:
        results = list(results)
        with self._lock:
            super().feed(results)
            # the minute of the newest time is the newest minute: one minute worked out
            newest = minute_of(max(map(_time_of, results))) if results else None
            if newest is not None and (self._newest is None or newest > self._newest):
                self._newest = newest
                self.forget_before(newest - 2 * self.window_minutes)

    def feed_columns(self, cols: ProbeColumns) -> None:
        if not len(cols):
            return
        with self._lock:
            super().feed_columns(cols)
            newest = int(cols.ts_ms.max()) // 60_000
            if self._newest is None or newest > self._newest:
                self._newest = newest
                self.forget_before(newest - 2 * self.window_minutes)

    def services(self) -> list[str]:
        with self._lock:
            return super().services()

    def forget_before(self, minute: int) -> None:
        with self._lock:
            super().forget_before(minute)

    def evidence(self, service: str, minute: int) -> ProbeEvidence:
        with self._lock:
            return super().evidence(service, minute)

    def readings(self, minute: int) -> dict[str, ProbeEvidence]:
        with self._lock:
            return super().readings(minute)

    def vantages(self) -> list[VantageSeen]:
        with self._lock:
            return super().vantages()


class _Probes:
    """Counts probe results and keeps them for the vote of vantage points."""

    def __init__(self, state: ProbeState) -> None:
        self.state = state
        self.counter = ProbeCounter()

    def count(self, results: Iterable[ProbeResult]) -> dict[tuple[SeriesKey, int], int]:
        if isinstance(results, ProbeColumns):  # a simulation's round: no object a result
            self.state.feed_columns(results)
            return self.counter.count(results)
        results = list(results)
        self.state.feed(results)
        return self.counter.count(results)


@dataclass(frozen=True)
class Counting:
    """How a process counts what its log brings: a fresh report counter for each aggregator
    (its windows are the aggregator's own), the counters of the other signals, and the state
    detection reads from them where it runs beside counting."""

    settings: Settings
    counters: dict[str, Counter[Any]]
    probe_state: SharedProbeState | None
    route_state: RouteState | None

    def reports(self) -> ReportCounter:
        return report_counter(self.settings)


def report_counter(settings: Settings) -> ReportCounter:
    return ReportCounter(
        dedupe_minutes=settings.dedupe_minutes,
        network_limit=settings.network_limit,
        reporter_limit=settings.reporter_limit,
    )


def counting(settings: Settings, catalog: Catalog, *, detection_beside: bool) -> Counting:
    """The one wiring of the counters, for the embedded process and a cluster's workers alike.

    `detection_beside`: detection runs in this process and reads the probe results and the
    routes as counting sees them (embedded). A worker's detector reads only the stored counts,
    so its shards keep no such state.
    """
    probe_state = SharedProbeState() if detection_beside else None
    route_state = (
        RouteState(
            watched_prefixes(catalog),
            lost_share=settings.routes_lost_share,
            hold_minutes=settings.routes_hold_minutes,
        )
        if detection_beside
        else None
    )
    counters: dict[str, Counter[Any]] = {
        "probes": ProbeCounter() if probe_state is None else _Probes(probe_state),
        "routes": RouteCounter(services_of_owners(catalog), route_state),
        "posts": PostCounter(AliasMatcher.from_catalog(catalog)),
    }
    return Counting(settings, counters, probe_state, route_state)
