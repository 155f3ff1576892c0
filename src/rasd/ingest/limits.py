"""Request limits per client address: a token bucket, so one source cannot flood the API."""

from __future__ import annotations

import itertools
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
            self._make_room(now)
        self._buckets[client] = (tokens - cost, now)

    def _make_room(self, now: float) -> None:
        """Buckets that have filled up again by now carry nothing and go. If most have not (a
        flood from ever new addresses), the older half goes as well: each sweep must make room
        for many new clients, or every request of the flood would sweep them all."""
        burst, rate = float(self.burst), self.rate
        kept = {k: v for k, v in self._buckets.items() if v[0] + (now - v[1]) * rate < burst}
        keep = _MAX_CLIENTS // 2
        if len(kept) > keep:
            kept = dict(itertools.islice(kept.items(), len(kept) - keep, None))
        self._buckets = kept
