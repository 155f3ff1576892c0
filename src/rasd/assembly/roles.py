"""A process for each role: embedded (one process does it all), a cluster's API, a worker."""

from __future__ import annotations

from datetime import timedelta

from rasd.assembly.signals import Counting, counting, report_counter
from rasd.bus.base import Log
from rasd.bus.memory import InlineLog
from rasd.catalog import load_catalog
from rasd.clock import Clock, SystemClock
from rasd.comments import CommentBook
from rasd.counting.aggregator import Aggregator
from rasd.http.auth import Authorizer
from rasd.http.page_epoch import PageEpoch
from rasd.ingest.limits import Limiters, RequestLimiter
from rasd.ingest.networks import NetworkDirectory
from rasd.ingest.places import Places
from rasd.ingest.posts_import import RecentIds
from rasd.ingest.reports import ReportValidator
from rasd.pipeline.engine import DetectionEngine
from rasd.probe.reach import Reach
from rasd.runtime import Lazy, Runtime
from rasd.settings import Settings
from rasd.signals.official import OfficialBoard
from rasd.signals.sample import PostSample
from rasd.sources import SourceSet
from rasd.store import Store, open_store
from rasd.tokens import TokenStore
from rasd.web.views import SharedSparks


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    store: Store | None = None,
    log: Log | None = None,
    signals: bool = False,
    engine: bool = False,
) -> Runtime:
    """The parts every role has; the roles below choose the rest.

    Without a log, the process counts what it takes in itself (reports always; `signals`: the
    other signals too, with the state detection reads); in a cluster it publishes to
    JetStream. `engine`: a detection engine, for the process to tick or read baselines from.
    """
    clock = clock or SystemClock()
    store = store or open_store(settings.store_url)
    store.migrate()
    catalog = load_catalog(settings.catalog_files)
    places = Places.default()
    aggregator: Aggregator | None = None
    counted: Counting | None = None
    if log is None and settings.cluster:
        # API processes of a cluster publish; workers count (rasd.cluster.worker)
        from rasd.bus.nats import JetStreamLog

        log = JetStreamLog.from_settings(settings, name="rasd-api")
    if log is None:
        counted = counting(settings, catalog, detection_beside=True) if signals else None
        aggregator = Aggregator(
            store,
            clock,
            reports=report_counter(settings),
            counters=counted.counters if counted else None,
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
        limiters=_limiters(settings, clock),
        auth=auth,
        reach=Reach(settings.offline),
        sources=SourceSet(),
        tokens=tokens,
        engine=DetectionEngine(store, catalog) if engine else None,
        probe_state=counted.probe_state if counted else None,
        route_state=counted.route_state if counted else None,
        official=OfficialBoard(store, clock),
        sample=PostSample(
            store,
            clock,
            hours=settings.post_sample_hours,
            per_service=settings.post_sample_per_service,
        ),
        comments=CommentBook(store, clock, repeat_hours=settings.comment_repeat_hours),
        recent_posts=RecentIds(),
        page_epoch=PageEpoch(),
        sparks=SharedSparks(),
        notifier=Lazy(),
        live=Lazy(),
        check_now=Lazy(),
        analyser=Lazy(),
    )


def _limiters(settings: Settings, clock: Clock) -> Limiters:
    def per_hour(n: int) -> RequestLimiter:
        return RequestLimiter(clock, rate=n / 3600.0, burst=n)

    checks = settings.check_now_per_minute
    return Limiters(
        requests=RequestLimiter(
            clock, rate=settings.requests_per_second, burst=settings.request_burst
        ),
        comments=per_hour(settings.comments_per_hour),
        subscriptions=per_hour(settings.subscribe_per_hour),
        checks=RequestLimiter(clock, rate=checks / 60.0, burst=checks),
    )


def embedded(settings: Settings, clock: Clock | None = None) -> Runtime:
    """One process does it all: counts every signal, detects beside counting, reads the feeds."""
    if settings.cluster:
        raise ValueError("a cluster's processes are built by api() and worker()")
    runtime = build_runtime(settings, clock=clock, signals=True, engine=True)
    engine = runtime.detector()
    assert runtime.aggregator is not None  # it counts: no log was given
    runtime.aggregator.listen(engine.observe)
    if runtime.probe_state is not None:
        engine.probe_state = runtime.probe_state
    engine.official = runtime.official
    engine.route_state = runtime.route_state
    _add_sources(runtime)
    return runtime


def api(settings: Settings, clock: Clock | None = None) -> Runtime:
    """A cluster's API: publishes to JetStream, reads what the workers stored; its engine is
    there for the baselines the API shows (the leading worker detects), its sources publish."""
    runtime = build_runtime(settings, clock=clock, engine=True)
    runtime.detector().official = runtime.official
    _add_sources(runtime)
    return runtime


def worker(
    settings: Settings, log: Log, *, runtime: Runtime | None = None
) -> tuple[Runtime, Counting]:
    """A cluster's worker (on a `runtime` of its own, if given) and how its shards count: with
    the counters of the embedded process; its detector reads the stored counts, so no state
    is kept beside counting."""
    runtime = runtime or build_runtime(settings, log=log)
    return runtime, counting(settings, runtime.catalog, detection_beside=False)


def detection_engine(runtime: Runtime) -> DetectionEngine:
    """A new engine over the process's store and catalog: a worker's, each time it leads."""
    return DetectionEngine(runtime.store, runtime.catalog)


def _add_sources(runtime: Runtime) -> None:
    if runtime.settings.sources_enabled:
        from rasd.sources.registry import build_sources

        for source in build_sources(runtime):
            runtime.sources.add(source)
