"""A series is `(service, signal, region)`: the unit counted per minute and watched."""

from __future__ import annotations

from typing import NamedTuple

WORLD = "*"

# Signals are open-ended strings; these are the ones the core knows.
REPORTS = "reports"
POSTS = "posts"
RECOVERY_POSTS = "posts_recovery"
PROBES_FAILED = "probes_failed"
PROBES_TOTAL = "probes_total"
PROBE_PREFIX = "probe"  # every probe signal's name begins so: probes_failed, probe_dns_failed
# results a vantage point made while its own uplink was down: counted only under its `@name`
PROBES_VANTAGE_OFFLINE = "probes_vantage_offline"
# what the provider's own status page says: 0 operational .. 3 major outage (rasd.signals.official)
OFFICIAL = "official"
# BGP: withdrawals and announcements of an owner's prefixes per minute, in each of its
# services' series; and the peers that no longer see them (a gauge read from the route state)
ROUTES_WITHDRAWALS = "routes_withdrawals"
ROUTES_ANNOUNCEMENTS = "routes_announcements"
ROUTES_UNSEEN = "routes_unseen"
# per network, its region the network's label (`rasd.ingest.networks`): "AS24835|EG|Vodafone"
NETWORK_REPORTS = "reports_network"
PROBLEM_PREFIX = "problem:"  # per problem type, world region only: "problem:login"


class SeriesKey(NamedTuple):
    service: str
    signal: str
    region: str = WORLD

    def __str__(self) -> str:
        return f"{self.service}/{self.signal}/{self.region}"


def region_country(region: str) -> str | None:
    """The country part of a region: None for the world."""
    if region == WORLD:
        return None
    return region.split("/", 1)[0]


def region_level(region: str) -> str:
    if region == WORLD:
        return "world"
    return "city" if "/" in region else "country"
