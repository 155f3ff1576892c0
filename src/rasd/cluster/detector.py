"""Detection in the cluster: one leader ticks each minute once every shard has counted it.

A minute is over for the cluster when every shard has processed the mark of that minute: marks
travel on each shard's subject behind the data published before them, so a shard's mark says
"everything accepted before this is counted". The leader publishes the marks from the system
clock (`minute_marks = "clock"`); a replay publishes them itself (`"external"`).

The engine's state is checkpointed in the store; a new leader loads the checkpoint and ticks
again, from stored counts, the minutes after it: detection reads only the store, so it comes to
the same incidents.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from rasd.bus.nats import JetStreamLog
from rasd.clock import Clock, minute_of
from rasd.cluster.shard import watermark_key
from rasd.pipeline.checkpoint import dump_engine, load_engine, warm_from_store
from rasd.pipeline.engine import DetectionEngine
from rasd.store.base import Store

_log = logging.getLogger("rasd.cluster.detector")

_CHECKPOINT_TICKS = 60
_CHECKPOINT_SECONDS = 30.0


def checkpoint_key(stream: str) -> str:
    return f"{stream}/detector"


def ticked_key(stream: str) -> str:
    return f"{stream}/ticked"


def cluster_watermark(store: Store, stream: str, shards: int) -> int | None:
    """The last minute every shard has counted; None until each has seen a mark."""
    # one query for every shard: the leader asks four times a second
    keys = [watermark_key(stream, shard) for shard in range(shards)]
    marks = store.get_states(keys)
    if len(marks) < len(keys):
        return None
    return min(int(value.decode()) for value in marks.values())


class DetectorRunner:
    def __init__(
        self,
        engine: DetectionEngine,
        log: JetStreamLog,
        store: Store,
        clock: Clock,
        *,
        owned: Callable[[], bool],
        marks_from_clock: bool,
        lag_s: float,
        history_days: int,
    ) -> None:
        self.engine = engine
        self.log = log
        self.store = store
        self.clock = clock
        self.owned = owned
        self.marks_from_clock = marks_from_clock
        self.lag = timedelta(seconds=lag_s)
        self.history_days = history_days
        self._marked: int | None = None
        self._saved_tick = 0
        self._saved_at = time.monotonic()
        self.ticks = 0

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.to_thread(self._restore)
        try:
            while not stop.is_set() and self.owned():
                if self.marks_from_clock:
                    await self._publish_marks()
                await asyncio.to_thread(self._tick_due)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=0.25)
                except TimeoutError:
                    pass
        finally:
            if self.owned():
                await asyncio.to_thread(self._checkpoint)

    # -- marks -------------------------------------------------------------------------------
    async def _publish_marks(self) -> None:
        due = minute_of(self.clock.now() - self.lag) - 1
        first = due if self._marked is None else self._marked + 1
        for minute in range(max(first, due - 60), due + 1):
            await self.log.mark(minute)
            self._marked = minute

    # -- ticks -------------------------------------------------------------------------------
    def _tick_due(self) -> None:
        mark = cluster_watermark(self.store, self.log.stream, self.log.shards)
        if mark is None:
            return
        engine = self.engine
        if engine.last_minute is None:
            # a fresh start: what is counted so far is history; ticks begin after it
            if self.history_days > 0:
                learnt = warm_from_store(engine, self.store, mark + 1, self.history_days)
                _log.info("learnt %d series over %d days", learnt, self.history_days)
            engine.last_minute = mark
            self._checkpoint()
        start = engine.last_minute + 1 if engine.last_minute is not None else mark
        if start > mark:
            return
        for minute in range(start, mark + 1):
            if not self.owned():
                return
            engine.tick(minute)
            self.ticks += 1
        # what the cluster has detected through: for readers, monitoring and tests
        self.store.put_state(ticked_key(self.log.stream), str(mark).encode())
        if self.ticks - self._saved_tick >= _CHECKPOINT_TICKS or (
            self.ticks > self._saved_tick
            and time.monotonic() - self._saved_at > _CHECKPOINT_SECONDS
        ):
            self._checkpoint()

    # -- state -------------------------------------------------------------------------------
    def _checkpoint(self) -> None:
        engine = self.engine
        if engine.last_minute is None:
            return
        self.store.put_state(checkpoint_key(self.log.stream), dump_engine(engine))
        self._saved_tick = self.ticks
        self._saved_at = time.monotonic()

    def _restore(self) -> None:
        blob = self.store.get_state(checkpoint_key(self.log.stream))
        if blob is None:
            return
        load_engine(self.engine, blob)
        _log.info("detection resumes after minute %s", self.engine.last_minute)
