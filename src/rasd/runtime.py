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
    from rasd.probe.reach import Reach
    from rasd.settings import Settings
    from rasd.sources import SourceSet
    from rasd.store import Store


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
    extras: dict[str, Any] = field(default_factory=dict)

    async def close(self) -> None:
        await self.log.close()
        self.store.close()
