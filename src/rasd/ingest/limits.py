"""Request limits per client address: a token bucket, so one source cannot flood the API."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
        buckets = self._buckets
        # taken out and put back last, so that the table runs from the client seen least
        # recently to the one seen last
        bucket = buckets.pop(client, None)
        if bucket is None:
            tokens = float(self.burst)
            if len(buckets) >= _MAX_CLIENTS:
                # the client seen least recently goes: its bucket has most likely filled up
                # again, and making room costs the same whatever the flood of new addresses
                del buckets[next(iter(buckets))]
        else:
            tokens = min(float(self.burst), bucket[0] + (now - bucket[1]) * self.rate)
        if tokens < cost:
            buckets[client] = (tokens, now)
            wait = math.ceil((cost - tokens) / self.rate)
            raise RateLimited(
                "too many requests from this address; slow down",
                retry_after=max(1, wait),
                details=[{"field": None, "reason": "rate limit", "rate_per_second": self.rate}],
            )
        buckets[client] = (tokens - cost, now)


@dataclass(frozen=True)
class Limiters:
    """A process's limits per client network, one for each kind of request with its own pace."""

    requests: RequestLimiter  # reports and posts sent to the API
    comments: RequestLimiter  # a few an hour
    subscriptions: RequestLimiter  # a few an hour
    checks: RequestLimiter  # "check it now", a few a minute
