"""Regional network outages: many unrelated services failing in one country at once.

When a country's network fails, every service people there use looks broken: their reports
rise together, mostly from that country, across owners that share nothing. That is one
outage of the network, not N outages of services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rasd.correlate.affinity import ServiceInfo
from rasd.incidents import Incident


def home_country(incident: Incident, service: ServiceInfo | None, share: float) -> str | None:
    """The country an incident's rise comes from, if one country holds `share` of it.

    Without figures per country, a service that operates in one country only is taken to
    fail there.
    """
    countries = [r for r in incident.countries() if r.excess > 0]
    total = sum(r.excess for r in countries)
    if total > 0:
        top = max(countries, key=lambda r: (r.excess, r.region))
        return top.region if top.excess >= share * total else None
    if service is not None and len(service.countries) == 1:
        return next(iter(service.countries))
    return None


class Candidate(NamedTuple):
    start: int  # minute
    incident: str
    service: str
    owner: str


def cluster(
    candidates: Sequence[Candidate], window: int, min_services: int, min_owners: int
) -> list[Candidate] | None:
    """The largest set starting within `window` minutes of each other that is many services
    of many owners; None when there is none."""
    ordered = sorted(candidates)
    best: list[Candidate] | None = None
    for i, first in enumerate(ordered):
        group = [c for c in ordered[i:] if c.start - first.start <= window]
        services = {c.service for c in group}
        owners = {c.owner for c in group}
        if len(services) >= min_services and len(owners) >= min_owners:
            if best is None or len(group) > len(best):
                best = group
    return best
