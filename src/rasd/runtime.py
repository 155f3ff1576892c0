"""Everything one Rasd process holds, by name; rasd.assembly puts it together for its role."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from rasd.api.check import CheckNow
    from rasd.api.live import LiveHub
    from rasd.bus.base import Log
    from rasd.catalog import Catalog
    from rasd.clock import Clock
    from rasd.comments import CommentBook
    from rasd.counting.aggregator import Aggregator
    from rasd.http.auth import Authorizer
    from rasd.http.page_epoch import PageEpoch
    from rasd.ingest.limits import Limiters
    from rasd.ingest.places import Places
    from rasd.ingest.posts_import import RecentIds
    from rasd.ingest.reports import ReportValidator
    from rasd.notify.notifier import Notifier
    from rasd.pipeline.engine import DetectionEngine
    from rasd.probe.reach import Reach
    from rasd.settings import Settings
    from rasd.signals.official import OfficialBoard
    from rasd.signals.probes import ProbeState
    from rasd.signals.routes import RouteState
    from rasd.signals.sample import PostSample
    from rasd.signals.text.analysis import Analyser
    from rasd.sources import SourceSet
    from rasd.store import Store
    from rasd.tokens import TokenStore
    from rasd.web.views import SharedSparks

T = TypeVar("T")


class Lazy(Generic[T]):
    """A part made on first use, once, by the module that owns it: one that costs to make (a
    TLS context, a matcher over the whole catalog) or that starts listening to counting or
    detection once made, so a process that never needs it (a replay, a test) never has it.
    Routes run in threads as well as on the loop, hence the lock."""

    __slots__ = ("_lock", "_value")

    def __init__(self) -> None:
        self._value: T | None = None
        self._lock = threading.Lock()

    @property
    def made(self) -> T | None:
        """The part if it was made, without making it."""
        return self._value

    def get(self, make: Callable[[], T]) -> T:
        value = self._value
        if value is not None:
            return value
        with self._lock:
            if self._value is None:
                self._value = make()
            return self._value


@dataclass(frozen=True, eq=False)
class Runtime:
    """One process's parts, fixed once it is built; what changes while it runs is held by
    parts of their own (the store, the engine, the hub, `page_epoch`, `sparks`)."""

    settings: Settings
    clock: Clock
    store: Store
    catalog: Catalog
    places: Places
    log: Log
    # counting in this process (embedded); None where the log is only published to
    aggregator: Aggregator | None
    validator: ReportValidator
    # per network: requests of the API, comments, subscriptions, checks made now
    limiters: Limiters
    auth: Authorizer
    reach: Reach
    # the live readers of outside feeds; the roles add theirs once the process is built
    sources: SourceSet
    # tokens made with `rasd tokens`, checked by `auth` against the store's hashes
    tokens: TokenStore
    # the detection engine (embedded, and a cluster's API for baselines; a worker makes its own)
    engine: DetectionEngine | None
    # what counting keeps for detection: the recent probe results and the routes seen
    probe_state: ProbeState | None
    route_state: RouteState | None
    # each service's last official word: the status pages write it, detection reads it
    official: OfficialBoard
    # "what people are saying": complaint posts of the live streams kept for the pages
    sample: PostSample
    comments: CommentBook
    # the ids of the posts taken lately, so a feed that overlaps itself counts each post once
    recent_posts: RecentIds
    # bumped when something pages show is written outside counting and detection
    page_epoch: PageEpoch
    # the home page's day of reports, shared by every visitor for a couple of seconds
    sparks: SharedSparks
    notifier: Lazy[Notifier]
    live: Lazy[LiveHub]
    check_now: Lazy[CheckNow]
    # the posts path of the live streams: one analyser over the catalog for all of them
    analyser: Lazy[Analyser]

    def detector(self) -> DetectionEngine:
        """The detection engine of a process that has one (embedded, a cluster's API)."""
        if self.engine is None:
            raise LookupError("this process has no detection engine")
        return self.engine

    async def close(self) -> None:
        await self.log.close()
        self.store.close()
