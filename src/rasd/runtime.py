"""Everything one Rasd process holds, wired together once from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rasd.api.auth import Authorizer
from rasd.bus.base import Log
from rasd.bus.memory import InlineLog
from rasd.catalog import Catalog, load_catalog
from rasd.clock import Clock, SystemClock
from rasd.counting.aggregator import Aggregator
from rasd.ingest.limits import RequestLimiter
from rasd.ingest.networks import NetworkDirectory
from rasd.ingest.places import Places
from rasd.ingest.reports import ReportValidator
from rasd.settings import Settings
from rasd.signals.reports import ReportCounter
from rasd.sources import Reach, SourceSet
from rasd.store import Store, open_store
from rasd.tokens import TokenStore


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    store: Store
    catalog: Catalog
    places: Places
    log: Log
    aggregator: Aggregator | None
    validator: ReportValidator
    limiter: RequestLimiter
    auth: Authorizer
    reach: Reach
    sources: SourceSet = field(default_factory=SourceSet)
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        log: Log | None = None,
    ) -> Runtime:
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
        limiter = RequestLimiter(
            clock, rate=settings.requests_per_second, burst=settings.request_burst
        )
        # tokens made with `rasd tokens` are checked against the store's hashes
        tokens = TokenStore(store, clock)
        auth = Authorizer(
            import_tokens=settings.import_tokens,
            ingest_tokens=settings.ingest_tokens,
            extra=tokens.check,
        )
        return cls(
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
            extras={"tokens": tokens},
        )

    async def close(self) -> None:
        await self.log.close()
        self.store.close()
