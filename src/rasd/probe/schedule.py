"""When each check runs next: every interval, with jitter so agents and checks do not line up."""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable

from rasd.signals.probes import ProbeCheck

DEFAULT_JITTER = 0.1


class Schedule:
    """A heap of (due time, check) on a monotonic clock the caller supplies as numbers.

    A new check first runs at a random point within its interval, which spreads the start;
    after that each run is one interval later, give or take `jitter` of it.
    """

    def __init__(
        self,
        *,
        scale: float = 1.0,
        jitter: float = DEFAULT_JITTER,
        rng: random.Random | None = None,
    ) -> None:
        if scale <= 0 or not 0 <= jitter < 1:
            raise ValueError("scale must be positive and jitter within [0, 1)")
        self._scale = scale
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._heap: list[tuple[float, int, str]] = []
        self._checks: dict[str, ProbeCheck] = {}
        self._due: dict[str, float] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self._checks)

    def interval(self, check: ProbeCheck) -> float:
        return max(check.interval_s * self._scale, 0.001)

    def replace(self, checks: Iterable[ProbeCheck], now: float) -> None:
        """Takes a new check list; checks that stay keep their place in time."""
        fresh = {check.id: check for check in checks}
        self._checks = fresh
        due = {cid: self._due[cid] for cid in fresh if cid in self._due}
        for cid, check in fresh.items():
            if cid not in due:
                due[cid] = now + self._rng.uniform(0, self.interval(check))
        self._due = due
        self._heap = []
        for cid, when in due.items():
            self._push(cid, when)

    def next_due(self) -> float | None:
        self._discard_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> list[ProbeCheck]:
        """The checks due by `now`, each rescheduled one (jittered) interval after its due time."""
        out: list[ProbeCheck] = []
        while True:
            self._discard_stale()
            if not self._heap or self._heap[0][0] > now:
                return out
            when, _, cid = heapq.heappop(self._heap)
            check = self._checks[cid]
            out.append(check)
            step = self.interval(check) * self._rng.uniform(1 - self._jitter, 1 + self._jitter)
            # a late run (the agent was busy) does not bunch the next ones up behind it
            nxt = max(when + step, now + step * self._jitter)
            self._due[cid] = nxt
            self._push(cid, nxt)

    def _push(self, cid: str, when: float) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, cid))

    def _discard_stale(self) -> None:
        while self._heap:
            when, _, cid = self._heap[0]
            if cid in self._checks and self._due.get(cid) == when:
                return
            heapq.heappop(self._heap)
