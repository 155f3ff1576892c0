"""Request limits per client address: a token bucket, so one source cannot flood the API."""

from __future__ import annotations

import math

from rasd.clock import Clock
from rasd.errors import RateLimited

_MAX_CLIENTS = 100_000


class RequestLimiter:
    def __init__(self, clock: Clock, *, rate: float, burst: int) -> None:
        self.clock = clock
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, client: str, cost: float = 1.0) -> None:
        now = self.clock.seconds()
        tokens, last = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < cost:
            wait = math.ceil((cost - tokens) / self.rate)
            raise RateLimited(
                "too many requests from this address; slow down",
                retry_after=max(1, wait),
                details=[{"field": None, "reason": "rate limit", "rate_per_second": self.rate}],
            )
        if len(self._buckets) >= _MAX_CLIENTS and client not in self._buckets:
            # forget full buckets first: they carry no information
            self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self.burst - 1e-9}
        self._buckets[client] = (tokens - cost, now)
