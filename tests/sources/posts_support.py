"""What the posts sources' tests share: counting wired in, totals, a source run in the loop."""

from __future__ import annotations

import asyncio
from typing import Any

from rasd.clock import minute_of
from rasd.runtime import Runtime
from rasd.series import POSTS, WORLD, SeriesKey
from rasd.signals.posts import PostCounter
from rasd.signals.text import AliasMatcher


def with_posts_counted(runtime: Runtime) -> Runtime:
    """The runtime's aggregator counts posts, as `rasd serve` wires it."""
    assert runtime.aggregator is not None
    runtime.aggregator.counters["posts"] = PostCounter(AliasMatcher.from_catalog(runtime.catalog))
    return runtime


def total(runtime: Runtime, service: str, signal: str = POSTS) -> int:
    """Posts counted for a service in the world, within a day either side of now."""
    minute = minute_of(runtime.clock.now())
    key = SeriesKey(service, signal, WORLD)
    return runtime.store.total(key, minute - 24 * 60, minute + 24 * 60)


class Running:
    """A source running in the test's loop until `stop()`."""

    def __init__(self, src: Any) -> None:
        self.src = src
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(src.run(self.stop_event))

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, 10)
