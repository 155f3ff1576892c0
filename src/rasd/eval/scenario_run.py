"""One scenario through the real pipeline, as `rasd replay` runs it in process.

A fresh embedded runtime (SQLite in a temporary directory, the in-process log, the real
aggregator and detection engine) on a virtual clock; the bank learns `history_days` of usual
traffic first; then every simulated minute is published, counted, stored and ticked.
With `reports_only` the minutes carry reports alone (no posts, probe results or routes; the
scenario's statements are never fed here), to see what the reports tell by themselves.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rasd.eval.findings import Findings, FindingsRecorder
from rasd.replay import InProcessSink, Replay, ReplayStats
from rasd.sim import MinuteTraffic, Scenario, Simulation


@dataclass(frozen=True)
class ScenarioRun:
    scenario: Scenario
    seed: int
    services: int  # services in the catalog, all watched
    findings: Findings
    stats: ReplayStats
    # setup, history, replay (wall clock) and replay_cpu (this process's processor time)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return self.scenario.start

    @property
    def end(self) -> datetime:
        return self.scenario.end

    def figures(self) -> dict[str, Any]:
        return {
            "minutes": self.stats.minutes,
            "reports": self.stats.reports,
            "posts": self.stats.posts,
            "probe_results": self.stats.probes,
            "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "reports_per_second": round(self.stats.reports_per_second, 1),
        }


class _Watched:
    """A sink that also says when each minute is done (for a progress bar)."""

    def __init__(self, sink: InProcessSink, on_minute: Callable[[int], None] | None) -> None:
        self._sink = sink
        self._on_minute = on_minute

    def send(self, kind: str, payload: Any, msg_id: str) -> None:
        self._sink.send(kind, payload, msg_id)

    def minute_done(self, minute: int, stats: ReplayStats) -> None:
        self._sink.minute_done(minute, stats)
        if self._on_minute is not None:
            self._on_minute(minute)

    def finish(self, stats: ReplayStats) -> None:
        self._sink.finish(stats)


class _ReportsOnly:
    """The simulation with its reports alone: no posts, probe results or routes are drawn."""

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim
        self.scenario = sim.scenario
        self.seed = sim.seed
        self.total_minutes = sim.total_minutes

    def minutes(self) -> Iterator[MinuteTraffic]:
        return self._sim.minutes(posts=False, probes=False)


def run_scenario(
    scenario: Scenario,
    *,
    history_days: int = 7,
    reports_only: bool = False,
    seed: int | None = None,
    on_minute: Callable[[int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> ScenarioRun:
    from rasd.assembly import embedded
    from rasd.clock import VirtualClock
    from rasd.settings import Settings

    def phase(name: str) -> None:
        if on_phase is not None:
            on_phase(name)

    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="rasd-eval-") as tmp:
        t0 = time.perf_counter()
        phase("setting up")
        clock = VirtualClock(scenario.start)
        settings = Settings(store_url=f"sqlite:///{Path(tmp) / 'eval.db'}")
        runtime = embedded(settings, clock=clock)
        try:
            sim = Simulation(scenario, runtime.catalog, runtime.places, seed=seed)
            engine = runtime.detector()
            recorder = FindingsRecorder(engine)
            t1 = time.perf_counter()
            seconds["setup"] = t1 - t0
            if history_days > 0:
                phase(f"learning {history_days} days")
                history = sim.history(history_days)
                engine.warm(history.start_minute, history.series, history.counts)
            t2 = time.perf_counter()
            seconds["history"] = t2 - t1
            phase("replaying")
            assert runtime.aggregator is not None  # an embedded process counts
            sink = InProcessSink(runtime.aggregator.feed, clock, recorder.tick)
            cpu = time.process_time()
            fed = _ReportsOnly(sim) if reports_only else sim
            stats = Replay(fed, _Watched(sink, on_minute)).run()
            seconds["replay"] = time.perf_counter() - t2
            # on a shared machine the processor time says more than the wall clock
            seconds["replay_cpu"] = time.process_time() - cpu
            findings = recorder.findings()
        finally:
            runtime.store.close()
    return ScenarioRun(
        scenario=scenario,
        seed=sim.seed,
        services=len(runtime.catalog),
        findings=findings,
        stats=stats,
        seconds=seconds,
    )
