"""Waiting between reconnects: exponential, capped, with full jitter.

Full jitter spreads the reconnects of many clients that lost the same server at the same
moment, so a restarted feed is not met by all of them in the same second.
"""

from __future__ import annotations

import asyncio
import contextlib
import random


class Backoff:
    def __init__(self, base: float = 1.0, cap: float = 60.0, seed: int | None = None) -> None:
        if base <= 0 or cap < base:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base = base
        self.cap = cap
        self._random = random.Random(seed)
        self.failures = 0

    def next(self) -> float:
        """The next delay in seconds: uniform in [0, min(cap, base * 2**failures)]."""
        ceiling = min(self.cap, self.base * (2 ** min(self.failures, 32)))
        self.failures += 1
        return self._random.uniform(0.0, ceiling)

    def reset(self) -> None:
        self.failures = 0

    async def wait(self, stop: asyncio.Event) -> bool:
        """Sleep the next delay; False when `stop` was set meanwhile (the caller should end)."""
        delay = self.next()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        return not stop.is_set()
