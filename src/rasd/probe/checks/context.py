"""What every check needs from the agent that runs it: its name, resolvers, TLS trust, clients."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

import httpx

from rasd.clock import Clock, SystemClock
from rasd.probe.checks.authority import AuthorityFinder
from rasd.probe.checks.nameserver import Nameserver


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
