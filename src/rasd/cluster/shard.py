"""One shard's counting: its messages, in order, through the same Aggregator the embedded
server uses, each acknowledged only once the store has it.

A shard starts from what is durable and nothing else: a fresh consumer that redelivers every
message not yet acknowledged, and dedupe windows rebuilt from the raw reports in the store. A
message that was stored but not acknowledged comes again and changes nothing (the store knows
its id). Any failure ends the run; the worker starts it again from the durable state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rasd.bus import codec
from rasd.bus.nats import MSG_ID, JetStreamLog, kind_of
from rasd.clock import Clock, SystemClock, VirtualClock, minute_start
from rasd.counting.aggregator import Aggregator
from rasd.store.base import Store

_log = logging.getLogger("rasd.cluster.shard")

# how long a shard that keeps up lets messages gather between fetches (`gather_seconds`): what
# is acknowledged is counted that much later, well inside a minute's detection lag
GATHER_S = 1.0


def watermark_key(stream: str, shard: int) -> str:
    """The store's state key of the last minute a shard has counted completely."""
    return f"{stream}/mark/{shard}"


def read_watermark(store: Store, stream: str, shard: int) -> int | None:
    value = store.get_state(watermark_key(stream, shard))
    return None if value is None else int(value.decode())


@dataclass
class ShardStats:
    messages: int = 0
    reports: int = 0
    marks: int = 0
    rejected: int = 0  # messages that cannot be read or counted: logged, taken off the log
    last_mark: int | None = None
    rebuilt: int = 0  # counted reports the dedupe windows were rebuilt from at the start
    rebuild_cpu_s: float = 0.0


class ShardRunner:
    def __init__(
        self,
        shard: int,
        log: JetStreamLog,
        store: Store,
        make_aggregator: Callable[[Clock, int], Aggregator],
        *,
        owned: Callable[[], bool],
        live_clock: bool,
        batch: int = 256,
        ack_wait_s: float = 30.0,
        gather_s: float = GATHER_S,
    ) -> None:
        self.shard = shard
        self.log = log
        self.store = store
        self.make_aggregator = make_aggregator
        self.owned = owned
        self.live_clock = live_clock
        self.batch = batch
        self.ack_wait_s = ack_wait_s
        self.gather_s = gather_s
        self.stats = ShardStats()

    async def run(self, stop: asyncio.Event) -> None:
        """Counts until stopped or no longer the owner; raises on any failure."""
        aggregator = await asyncio.to_thread(self._aggregator)
        sub = await self.log.restart_consumer(
            self.shard, ack_wait_s=self.ack_wait_s, max_ack_pending=max(1000, self.batch * 4)
        )
        try:
            while not stop.is_set() and self.owned():
                try:
                    msgs = await sub.fetch(self.batch, timeout=1.0)
                except TimeoutError:
                    continue
                # reports messages in a row are counted and stored in one transaction
                # together, then acknowledged; anything else ends the run first (order holds)
                run: list[tuple[Any, str, Any]] = []
                for msg in msgs:
                    if not self.owned():
                        return  # not acknowledged: the next owner counts it
                    read = self._read(aggregator, msg.subject, msg.headers or {}, msg.data)
                    if read is not None and read[0] == codec.REPORTS:
                        run.append((read[1], read[2], msg))
                        continue
                    await self._apply_run(aggregator, run)
                    run = []
                    if read is not None:
                        await self._apply(aggregator, *read)
                    await msg.ack()
                await self._apply_run(aggregator, run)
                if len(msgs) < self.batch:
                    await self._gather(stop)
        finally:
            await sub.unsubscribe()

    async def _gather(self, stop: asyncio.Event) -> None:
        """Lets messages gather before the next fetch, until the next multiple of `gather_s`
        on the process's clock. Each group costs a fetch, a count and a transaction whatever its
        size, so a shard that keeps up would otherwise pay them for every message; and the
        shards of one worker wake together, so their writes share a commit. A shard behind
        (its fetch came back full) goes on at once."""
        if self.gather_s <= 0:
            return
        now = asyncio.get_running_loop().time()
        wait = self.gather_s - now % self.gather_s
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)

    async def _apply_run(self, aggregator: Aggregator, run: list[tuple[Any, str, Any]]) -> None:
        if not run:
            return
        items = [(payload, msg_id) for payload, msg_id, _ in run]
        await asyncio.to_thread(aggregator.apply_together, items)
        self.stats.reports += sum(len(payload) for payload, _ in items)
        for _, _, msg in run:
            await msg.ack()

    def _aggregator(self) -> Aggregator:
        mark = read_watermark(self.store, self.log.stream, self.shard)
        self.stats.last_mark = mark
        clock: Clock
        if self.live_clock:
            clock = SystemClock()
        else:
            # replayed time: the shard's own last mark says where "now" was
            start = minute_start(mark + 1) if mark is not None else datetime(1970, 1, 1, tzinfo=UTC)
            clock = VirtualClock(start)
        aggregator = self.make_aggregator(clock, self.shard)
        started = time.thread_time()
        # messages not acknowledged come again: their reports may be as old as the mark's
        # next minute (the live clock may be past it)
        aggregator.restore(mark + 1 if mark is not None else None)
        self.stats.rebuilt = aggregator.rebuilt
        self.stats.rebuild_cpu_s = time.thread_time() - started
        _log.info(
            "shard %d: dedupe windows rebuilt from %d reports in %.3f s of CPU",
            self.shard,
            self.stats.rebuilt,
            self.stats.rebuild_cpu_s,
        )
        return aggregator

    def _read(
        self, aggregator: Aggregator, subject: str, headers: dict[str, str], data: bytes
    ) -> tuple[str, Any, str] | None:
        """A message's kind, payload and id; None for one that cannot be counted (logged)."""
        self.stats.messages += 1
        try:
            kind = kind_of(subject)
            payload = codec.decode(kind, data)
        except codec.CodecError:
            self.stats.rejected += 1
            _log.error("shard %d: message %s on %s cannot be read", self.shard, headers, subject)
            return None
        if kind == codec.MARK:
            return kind, payload, ""
        msg_id = headers.get(MSG_ID)
        if msg_id is None:
            self.stats.rejected += 1
            _log.error("shard %d: a %s message without an id on %s", self.shard, kind, subject)
            return None
        if kind != codec.REPORTS and kind not in aggregator.counters:
            self.stats.rejected += 1
            _log.error(
                "shard %d: no counter for %s; message %s is not counted", self.shard, kind, msg_id
            )
            return None
        return kind, payload, msg_id

    async def _apply(self, aggregator: Aggregator, kind: str, payload: Any, msg_id: str) -> None:
        if kind == codec.MARK:
            await asyncio.to_thread(self._mark, int(payload))
            return
        await asyncio.to_thread(aggregator.apply, kind, payload, msg_id)
        if kind == codec.REPORTS:
            self.stats.reports += len(payload)

    def _mark(self, minute: int) -> None:
        # marks come in order after the data they close, so the newest is always the highest
        if self.stats.last_mark is not None and minute <= self.stats.last_mark:
            return
        self.store.put_state(watermark_key(self.log.stream, self.shard), str(minute).encode())
        self.stats.last_mark = minute
        self.stats.marks += 1
