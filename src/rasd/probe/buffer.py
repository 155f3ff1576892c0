"""The results an agent holds until the server takes them: bounded, oldest dropped first."""

from __future__ import annotations

from collections import deque

from rasd.signals.probes import ProbeResult


class ResultBuffer:
    """A bounded queue of results that counts what it had to drop.

    `take` hands out the oldest results for sending; `delivered` settles the drop count once the
    server has been told about it.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items: deque[ProbeResult] = deque()
        self.dropped = 0  # dropped and not yet reported to the server
        self.dropped_total = 0

    def __len__(self) -> int:
        return len(self._items)

    def add(self, result: ProbeResult) -> None:
        if len(self._items) >= self.capacity:
            self._items.popleft()
            self._drop(1)
        self._items.append(result)

    def take(self, limit: int) -> list[ProbeResult]:
        count = min(limit, len(self._items))
        return [self._items.popleft() for _ in range(count)]

    def discard(self, count: int) -> None:
        """Counts results that were taken but will never be delivered."""
        self._drop(count)

    def delivered(self, dropped_reported: int) -> None:
        self.dropped -= min(dropped_reported, self.dropped)

    def _drop(self, count: int) -> None:
        self.dropped += count
        self.dropped_total += count
