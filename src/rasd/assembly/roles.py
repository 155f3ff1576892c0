"""A process for each role: embedded (one process does it all), or a cluster's API."""

from __future__ import annotations

from rasd.assembly.signals import wire_signals
from rasd.clock import Clock
from rasd.detect.engine import DetectionEngine
from rasd.runtime import Runtime
from rasd.settings import Settings
from rasd.signals.official import board_of


def attach_engine(runtime: Runtime) -> DetectionEngine:
    """The detection engine of this process, reachable from the API for baselines."""
    engine = DetectionEngine(runtime.store, runtime.catalog)
    runtime.extras["engine"] = engine
    return engine


def embedded(settings: Settings, clock: Clock | None = None) -> Runtime:
    runtime = Runtime.build(settings, clock=clock)
    wire_signals(runtime)
    engine = attach_engine(runtime)
    if runtime.aggregator is not None:
        runtime.aggregator.listen(engine.observe)
    probe_state = runtime.extras.get("probe_state")
    if probe_state is not None:
        engine.probe_state = probe_state
    engine.official = board_of(runtime)
    engine.route_state = runtime.extras.get("route_state")
    if settings.sources_enabled:
        from rasd.sources.registry import build_sources

        for source in build_sources(runtime):
            runtime.sources.add(source)
    return runtime
