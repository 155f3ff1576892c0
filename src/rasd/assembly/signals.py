"""The counters of the signals besides reports, and the state detection reads from them."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from rasd.clock import minute_of
from rasd.runtime import Runtime
from rasd.series import SeriesKey
from rasd.signals.posts import PostCounter
from rasd.signals.probes import ProbeCounter, ProbeEvidence, ProbeResult, ProbeState, VantageSeen
from rasd.signals.routes import RouteCounter, RouteState, services_of_owners, watched_prefixes
from rasd.signals.text import AliasMatcher


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
            newest = max((minute_of(r.ts) for r in results), default=None)
            if newest is not None and (self._newest is None or newest > self._newest):
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

    def vantages(self) -> list[VantageSeen]:
        with self._lock:
            return super().vantages()


class _Probes:
    """Counts probe results and keeps them for the vote of vantage points."""

    def __init__(self, state: ProbeState) -> None:
        self.state = state
        self.counter = ProbeCounter()

    def count(self, results: Iterable[ProbeResult]) -> dict[tuple[SeriesKey, int], int]:
        results = list(results)
        self.state.feed(results)
        return self.counter.count(results)


def wire_signals(runtime: Runtime) -> None:
    """Posts and probes are counted by their own signals' modules."""
    aggregator = runtime.aggregator
    if aggregator is None:
        return
    probe_state = SharedProbeState()
    aggregator.counters["probes"] = _Probes(probe_state)
    runtime.probe_state = probe_state
    route_state = RouteState(
        watched_prefixes(runtime.catalog),
        lost_share=runtime.settings.routes_lost_share,
        hold_minutes=runtime.settings.routes_hold_minutes,
    )
    aggregator.counters["routes"] = RouteCounter(services_of_owners(runtime.catalog), route_state)
    runtime.route_state = route_state
    aggregator.counters["posts"] = PostCounter(AliasMatcher.from_catalog(runtime.catalog))
