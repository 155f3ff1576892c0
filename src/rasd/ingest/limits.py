"""Request limits per client address: a token bucket, so one source cannot flood the API."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rasd.clock import Clock
from rasd.errors import RateLimited
from rasd.signals.window import HashTable

_MAX_CLIENTS = 100_000
_BITS64 = (1 << 64) - 1
_NONE = -1


class RequestLimiter:
    """A token bucket per client, kept as one number: the time at which the client's bucket
    is full again (`burst - (full_at - now) * rate` tokens are left; a client whose bucket is
    full needs no memory at all).

    Clients live in two generations of numpy tables keyed by a hash of the client, never in
    Python objects: a flood of ever-new addresses makes no garbage for the collector, no dict
    to resize and no scan to find the oldest. When the current generation holds half of
    `_MAX_CLIENTS`, the previous one is dropped whole and the current one becomes it; a client
    seen again is written to the current one, so the clients seen least recently are those
    forgotten (their buckets have most likely filled up again meanwhile).
    """

    def __init__(self, clock: Clock, *, rate: float, burst: int) -> None:
        self.clock = clock
        self.rate = rate
        self.burst = burst
        self.forget_all()

    def forget_all(self) -> None:
        self._current = self._generation()
        self._previous = HashTable(16)

    @staticmethod
    def _generation() -> HashTable:
        # sized for half of the clients at half full: it never grows before it is replaced
        return HashTable(_MAX_CLIENTS)

    def __len__(self) -> int:
        """Clients remembered (one seen in both generations counts twice): at most
        `_MAX_CLIENTS`."""
        return len(self._current) + len(self._previous)

    def knows(self, client: str) -> bool:
        key = _key(client)
        return self._current.get_one(key, _NONE) != _NONE or (
            self._previous.get_one(key, _NONE) != _NONE
        )

    def take(self, client: str, cost: float = 1.0) -> None:
        now = round(self.clock.seconds() * 1e9)  # nanoseconds
        key = _key(client)
        current = self._current
        full_at = current.get_one(key, _NONE)
        if full_at == _NONE:
            full_at = self._previous.get_one(key, _NONE)
            if len(current) * 2 >= _MAX_CLIENTS:
                self._previous, self._current = current, self._generation()
                current = self._current
        behind = max(0, full_at - now) / 1e9  # seconds until the bucket is full
        tokens = self.burst - behind * self.rate
        if tokens < cost:
            # remembered as seen now, as the one it has to wait for
            current.put_one(key, max(full_at, now))
            wait = math.ceil((cost - tokens) / self.rate)
            raise RateLimited(
                "too many requests from this address; slow down",
                retry_after=max(1, wait),
                details=[{"field": None, "reason": "rate limit", "rate_per_second": self.rate}],
            )
        current.put_one(key, max(full_at, now) + round(cost / self.rate * 1e9))


def _key(client: str) -> int:
    # the process's own string hash: keys never leave the process, and it is keyed per
    # process, so nobody outside can aim addresses at one slot
    return hash(client) & _BITS64 or 1


@dataclass(frozen=True)
class Limiters:
    """A process's limits per client network, one for each kind of request with its own pace."""

    requests: RequestLimiter  # reports and posts sent to the API
    comments: RequestLimiter  # a few an hour
    subscriptions: RequestLimiter  # a few an hour
    checks: RequestLimiter  # "check it now", a few a minute
