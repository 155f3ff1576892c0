"""A process for each role: embedded (one process does it all), or a cluster's API."""

from __future__ import annotations

from datetime import timedelta

from rasd.api.auth import Authorizer
from rasd.assembly.signals import wire_signals
from rasd.bus.base import Log
from rasd.bus.memory import InlineLog
from rasd.catalog import load_catalog
from rasd.clock import Clock, SystemClock
from rasd.counting.aggregator import Aggregator
from rasd.ingest.limits import RequestLimiter
from rasd.ingest.networks import NetworkDirectory
from rasd.ingest.places import Places
from rasd.ingest.reports import ReportValidator
from rasd.pipeline.engine import DetectionEngine
from rasd.probe.reach import Reach
from rasd.runtime import Runtime
from rasd.settings import Settings
from rasd.signals.official import board_of
from rasd.signals.reports import ReportCounter
from rasd.sources import SourceSet
from rasd.store import Store, open_store
from rasd.tokens import TokenStore


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    store: Store | None = None,
    log: Log | None = None,
) -> Runtime:
    """The parts every role has; the roles below add their own."""
    clock = clock or SystemClock()
    store = store or open_store(settings.store_url)
    store.migrate()
    catalog = load_catalog(settings.catalog_files)
    places = Places.default()
    aggregator: Aggregator | None = None
    if log is None and settings.cluster:
        # API processes of a cluster publish; workers count (rasd.cluster.worker)
        from rasd.bus.nats import JetStreamLog

        log = JetStreamLog.from_settings(settings, name="rasd-api")
    if log is None:
        aggregator = Aggregator(
            store,
            clock,
            reports=ReportCounter(
                dedupe_minutes=settings.dedupe_minutes,
                network_limit=settings.network_limit,
                reporter_limit=settings.reporter_limit,
            ),
            log_redelivers=False,
        )
        aggregator.restore()
        log = InlineLog(aggregator.handle)
    validator = ReportValidator(
        catalog,
        places,
        clock,
        future_skew=timedelta(seconds=settings.future_skew_seconds),
        max_age=timedelta(days=settings.import_max_age_days),
        networks=NetworkDirectory(settings.network_db),
    )
    limiter = RequestLimiter(clock, rate=settings.requests_per_second, burst=settings.request_burst)
    # tokens made with `rasd tokens` are checked against the store's hashes
    tokens = TokenStore(store, clock)
    auth = Authorizer(
        import_tokens=settings.import_tokens,
        ingest_tokens=settings.ingest_tokens,
        extra=tokens.check,
    )
    return Runtime(
        settings=settings,
        clock=clock,
        store=store,
        catalog=catalog,
        places=places,
        log=log,
        aggregator=aggregator,
        validator=validator,
        limiter=limiter,
        auth=auth,
        reach=Reach(settings.offline),
        sources=SourceSet(),
        tokens=tokens,
    )


def attach_engine(runtime: Runtime) -> DetectionEngine:
    """The detection engine of this process, reachable from the API for baselines."""
    engine = DetectionEngine(runtime.store, runtime.catalog)
    runtime.engine = engine
    return engine


def embedded(settings: Settings, clock: Clock | None = None) -> Runtime:
    runtime = build_runtime(settings, clock=clock)
    wire_signals(runtime)
    engine = attach_engine(runtime)
    if runtime.aggregator is not None:
        runtime.aggregator.listen(engine.observe)
    if runtime.probe_state is not None:
        engine.probe_state = runtime.probe_state
    engine.official = board_of(runtime)
    engine.route_state = runtime.route_state
    if settings.sources_enabled:
        from rasd.sources.registry import build_sources

        for source in build_sources(runtime):
            runtime.sources.add(source)
    return runtime
