"""The contract of a source, and the status record every source keeps.

A source runs until it is told to stop and handles its own reconnects; what it has done
lives in its `SourceStatus`, which `/api/v1/sources` and `/metrics` read from another thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from datetime import datetime
from typing import Any, Literal, Protocol

from rasd.clock import Clock, SystemClock

State = Literal["idle", "connecting", "connected", "offline", "error", "disabled"]
Stage = Literal["seen", "matched", "counted"]
STAGES: tuple[Stage, ...] = ("seen", "matched", "counted")
_RATE_SECONDS = 60


class SourceStatus:
    """What one source is doing, safe to read while the source writes it."""

    def __init__(
        self, name: str, kind: str, *, endpoint: str | None = None, clock: Clock | None = None
    ) -> None:
        self.name = name
        self.kind = kind
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self.state: State = "idle"
        self.endpoint = endpoint
        self.since: datetime | None = None
        self.last_item_at: datetime | None = None
        self.lag_seconds: float | None = None
        self.cursor_value: str | None = None
        self.reconnects = 0
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self.detail: dict[str, Any] = {}
        self.totals: dict[Stage, int] = dict.fromkeys(STAGES, 0)
        # per whole second: (second, seen, matched, counted), the last minute's worth
        self._recent: deque[list[int]] = deque()

    def _move(self, state: State) -> None:
        if state != self.state:
            self.state = state
            self.since = self._clock.now()

    def connecting(self, endpoint: str | None = None) -> None:
        with self._lock:
            if endpoint is not None:
                self.endpoint = endpoint
            self._move("connecting")

    def connected(self, endpoint: str | None = None) -> None:
        with self._lock:
            if endpoint is not None:
                self.endpoint = endpoint
            self._move("connected")

    def reconnected(self) -> None:
        with self._lock:
            self.reconnects += 1

    def offline(self, reason: str) -> None:
        """The network is away (or the source may not leave the machine): not an error."""
        with self._lock:
            self._move("offline")
            self.detail["offline_reason"] = reason

    def disabled(self, reason: str) -> None:
        with self._lock:
            self._move("disabled")
            self.detail["disabled_reason"] = reason

    def failed(self, error: str) -> None:
        with self._lock:
            self._move("error")
            self.last_error = error[:500]
            self.last_error_at = self._clock.now()

    def noted(self, error: str) -> None:
        """An error worth showing that does not change the state (a malformed message)."""
        with self._lock:
            self.last_error = error[:500]
            self.last_error_at = self._clock.now()

    def lag(self, seconds: float) -> None:
        with self._lock:
            self.lag_seconds = round(max(0.0, seconds), 3)

    def cursor(self, value: object) -> None:
        with self._lock:
            self.cursor_value = None if value is None else str(value)

    def note(self, **detail: Any) -> None:
        """Source-specific facts shown beside the common ones (vantage state, instances...)."""
        with self._lock:
            self.detail.update(detail)

    def _bucket(self) -> list[int]:
        second = int(self._clock.seconds())
        recent = self._recent
        if not recent or recent[-1][0] != second:
            recent.append([second, 0, 0, 0])
            while recent and recent[0][0] <= second - _RATE_SECONDS:
                recent.popleft()
        return recent[-1]

    def _add(self, stage: int, n: int) -> None:
        if n <= 0:
            return
        with self._lock:
            self._bucket()[stage + 1] += n
            key = STAGES[stage]
            self.totals[key] += n
            if stage == 0:
                self.last_item_at = self._clock.now()

    def seen(self, n: int = 1) -> None:
        self._add(0, n)

    def matched(self, n: int = 1) -> None:
        self._add(1, n)

    def counted(self, n: int = 1) -> None:
        self._add(2, n)

    def per_minute(self) -> dict[Stage, int]:
        with self._lock:
            floor = int(self._clock.seconds()) - _RATE_SECONDS
            rates = dict.fromkeys(STAGES, 0)
            for second, *counts in self._recent:
                if second > floor:
                    for stage, n in zip(STAGES, counts, strict=True):
                        rates[stage] += n
            return rates

    def snapshot(self) -> dict[str, Any]:
        rates = self.per_minute()
        with self._lock:
            return {
                "name": self.name,
                "kind": self.kind,
                "state": self.state,
                "endpoint": self.endpoint,
                "since": _iso(self.since),
                "last_item_at": _iso(self.last_item_at),
                "lag_seconds": self.lag_seconds,
                "cursor": self.cursor_value,
                "per_minute": rates,
                "totals": dict(self.totals),
                "reconnects": self.reconnects,
                "last_error": self.last_error,
                "last_error_at": _iso(self.last_error_at),
                "detail": dict(self.detail),
            }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat().replace("+00:00", "Z")


class Source(Protocol):
    """A long-running reader of one outside feed."""

    name: str
    kind: str

    async def run(self, stop: asyncio.Event) -> None:
        """Read the feed until `stop` is set, reconnecting by itself; return when stopped."""
        ...

    def status(self) -> SourceStatus: ...
