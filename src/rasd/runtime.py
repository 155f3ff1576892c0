"""Everything one Rasd process holds, by name; rasd.assembly puts it together from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasd.api.auth import Authorizer
    from rasd.bus.base import Log
    from rasd.catalog import Catalog
    from rasd.clock import Clock
    from rasd.counting.aggregator import Aggregator
    from rasd.ingest.limits import RequestLimiter
    from rasd.ingest.places import Places
    from rasd.ingest.reports import ReportValidator
    from rasd.pipeline.engine import DetectionEngine
    from rasd.probe.reach import Reach
    from rasd.settings import Settings
    from rasd.signals.probes import ProbeState
    from rasd.signals.routes import RouteState
    from rasd.sources import SourceSet
    from rasd.store import Store
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
    sources: SourceSet
    # tokens made with `rasd tokens`, checked by `auth` against the store's hashes
    tokens: TokenStore
    # the detection engine (embedded, and a cluster's API for baselines; a worker makes its own)
    engine: DetectionEngine | None = None
    # what counting keeps for detection: the recent probe results and the routes seen
    probe_state: ProbeState | None = None
    route_state: RouteState | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def detector(self) -> DetectionEngine:
        """The detection engine of a process that has one (embedded, a cluster's API)."""
        if self.engine is None:
            raise LookupError("this process has no detection engine")
        return self.engine

    async def close(self) -> None:
        await self.log.close()
        self.store.close()
