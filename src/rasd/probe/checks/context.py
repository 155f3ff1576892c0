"""What every check needs from the agent that runs it: its name, resolvers, TLS trust, clients,
and which hosts it may contact at all (with RASD_OFFLINE, loopback ones only)."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

import httpx

from rasd.clock import Clock, SystemClock
from rasd.probe.checks.authority import AuthorityFinder
from rasd.probe.checks.nameserver import Nameserver
from rasd.probe.reach import Reach, is_loopback_host


class Unreachable(Exception):
    """The check would contact a host this vantage may not reach: it is not run at all."""


@dataclass
class ProbeContext:
    vantage: str
    http: httpx.AsyncClient
    tls: ssl.SSLContext
    resolvers: list[Nameserver]
    authorities: AuthorityFinder
    clock: Clock = field(default_factory=SystemClock)
    # enough to find an expected text on a home page without holding a whole download
    body_limit: int = 1 << 20
    reach: Reach = field(default_factory=lambda: Reach(False))

    def may_contact(self, host: str) -> bool:
        # a bare host, not a URL: Reach.allows would read the last part of an IPv6 one as a port
        return not self.reach.offline or is_loopback_host(host)

    def require(self, host: str) -> None:
        if not self.may_contact(host):
            raise Unreachable(f"{host} is not a loopback address (offline)")
