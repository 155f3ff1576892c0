"""Clocks: every stage takes one, so a replay can run the same code on virtual time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, UTC and timezone-aware."""
        ...

    def seconds(self) -> float:
        """The same time as seconds since the Unix epoch: read once a request on the hot
        paths, where making a datetime costs as much as the rest of a check."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def seconds(self) -> float:
        return time.time()


class VirtualClock:
    """A clock that only moves when told to; shared safely between threads."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a virtual clock starts at a timezone-aware time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def seconds(self) -> float:
        return self.now().timestamp()

    def set(self, when: datetime) -> None:
        with self._lock:
            if when < self._now:
                raise ValueError("a virtual clock never goes back")
            self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now = self._now + delta
            return self._now


def minute_of(when: datetime) -> int:
    """Whole minutes since the Unix epoch: the key of every per-minute count."""
    return int(when.timestamp()) // 60


def minute_start(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, UTC)


def counted_until(last_ticked: int | None, now: datetime) -> int:
    """The first minute whose counts may still grow.

    Detection ticks a minute only once all of it is stored, so every minute up to the last one
    ticked is complete; the current minute never is. A chart that drew the minutes after this
    as they stand would show a fall that is only counting not yet done.
    """
    current = minute_of(now)
    if last_ticked is None:
        return current
    return min(last_ticked + 1, current)
