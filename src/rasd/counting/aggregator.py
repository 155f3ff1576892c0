"""Counting: the consumer side of the log. Turns each kind of payload into stored counts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from rasd.bus.base import is_new_message_id
from rasd.clock import Clock, minute_of
from rasd.counting.counter import Counter
from rasd.errors import Unavailable
from rasd.series import SeriesKey
from rasd.signals.reports import (
    CountedReports,
    ReportCounter,
    ReportRow,
    Reports,
    columns_together,
)
from rasd.store.base import Store
from rasd.store.counts import AlreadyApplied, Increments, RawBatch

Listener = Callable[[Increments], None]
# counting holds the event loop up for as long: larger groups are counted in a thread
_LOOP_REPORTS = 1_000
# up to this many single reports are counted one by one, more in columns (measured: 16 rows
# took 64 µs one by one and 240 µs in columns; 256 rows 746 µs and 530 µs)
_FEW_ROWS = 64


@runtime_checkable
class _Queued(Protocol):
    """A store whose writes wait in a queue for its one writer thread (SQLite)."""

    def write_reports_later(
        self,
        batch: RawBatch | None,
        increments: Increments,
        msg_id: str | Sequence[str] | None,
        *,
        at_once: bool = False,
    ) -> Future[bool]: ...

    def add_counts_later(self, increments: Increments, msg_id: str | None) -> Future[bool]: ...


class Aggregator:
    """One owner per series: applies payloads in order, each in one store transaction."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        reports: ReportCounter | None = None,
        counters: Mapping[str, Counter[Any]] | None = None,
        log_redelivers: bool = True,
        shard: int | None = None,
        owns: Callable[[str], bool] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.reports = reports or ReportCounter()
        # posts, probes, routes: one counter a kind (rasd.counting.counter)
        self.counters: dict[str, Counter[Any]] = dict(counters or {})
        # A log that hands each message over once (the embedded one) can repeat only the ids
        # clients chose; new ids need no look-up in the store, nor a row there.
        self.log_redelivers = log_redelivers
        # a cluster shard's batches name it, and its windows are rebuilt from its own rows;
        # `owns` says which services are its own in rows that name no shard
        self.shard = shard
        self.owns = owns
        self.rebuilt = 0  # counted reports the windows were last rebuilt from
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._together = _Together(self._apply_soon)
        self._failed: BaseException | None = None  # a fed batch that was not stored
        self.applied = {"reports": 0, "counted": 0, "duplicates": 0, "limited": 0}
        # stored batches are tallied from the threads that see them stored
        self._tally_lock = threading.Lock()

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def restore(self, first_minute: int | None = None) -> None:
        """After a restart, remember who reported lately so nobody counts twice; reports to
        count may be as old as `first_minute` (a shard's unacknowledged messages)."""
        with self._lock:
            self._remember_recent(first_minute)

    def _remember_recent(self, first_minute: int | None = None) -> None:
        minute = minute_of(self.clock.now())
        if first_minute is not None:
            minute = min(minute, first_minute)
        since = min(self.reports.spans(minute)) * 60_000
        batches = self.store.counted_batches(since, self.shard)
        self.rebuilt = self.reports.remember_batches(batches, minute, self.owns)

    async def handle(self, kind: str, payload: Any, msg_id: str) -> None:
        if kind == "reports":
            # requests that arrive together are counted and committed together
            await self._together.submit(payload, msg_id)
        else:
            await asyncio.to_thread(self.apply, kind, payload, msg_id)

    async def _apply_soon(self, items: list[tuple[Reports, str]]) -> None:
        """A group of requests, counted right here on the event loop when it is small, has no
        ids to look up, the store queues its writes and nobody else is counting: then no thread
        has to wake for it, and the loop only waits for the commit, which it makes itself when
        the store's writer has nothing else to do. Else in a thread."""
        store = self.store
        if (
            not isinstance(store, _Queued)
            or sum(len(payload) for payload, _ in items) > _LOOP_REPORTS
            or self._to_claim([msg_id for _, msg_id in items])
            or self._failed is not None  # the windows are rebuilt first, in a thread
            or not self._lock.acquire(blocking=False)
        ):
            await asyncio.to_thread(self.apply_together, items)
            return
        try:
            counted, written = self._queue(store, [p for p, _ in items], None, at_once=True)
        except BaseException:
            self._lock.release()
            raise
        try:
            if not written.done():
                await asyncio.shield(asyncio.wrap_future(written))
            written.result()
        except asyncio.CancelledError:
            # the write goes on without us: nobody else counts until it is committed
            written.add_done_callback(lambda _: self._lock.release())
            raise
        except Exception as exc:
            try:
                await asyncio.to_thread(self._forget)
            finally:
                self._lock.release()
            raise _not_stored() from exc
        self._tally(counted)
        self._lock.release()
        for listener in self._listeners:
            listener(counted.increments)

    def apply_together(self, items: list[tuple[Reports, str]]) -> None:
        """Report batches of many requests in one count and one transaction.

        Each keeps its message id: ids applied before are left out, and the group is written
        only if every id is new.
        """
        store = self.store
        if isinstance(store, _Queued) and not self._to_claim([msg_id for _, msg_id in items]):
            # nothing to look up or claim: the lock is let go once the write is queued, so
            # the next group is counted while this one commits (the writer keeps the order)
            with self._lock:
                self._recover()
                counted, written = self._queue(store, [p for p, _ in items], None)
            try:
                written.result()
            except Exception as exc:
                self._failed = exc  # the windows counted it: whoever counts next rebuilds them
                raise _not_stored() from exc
            self._tally(counted)
            for listener in self._listeners:
                listener(counted.increments)
            return
        if len(items) == 1:
            self.apply("reports", *items[0])
            return
        try:
            increments = self._apply_group(items)
        except Unavailable as exc:
            if not isinstance(exc.__cause__, AlreadyApplied):
                raise
            # another writer applied one of them meanwhile: one by one, each checked alone
            for payload, msg_id in items:
                self.apply("reports", payload, msg_id)
            return
        for listener in self._listeners:
            listener(increments)

    def _apply_group(self, items: list[tuple[Reports, str]]) -> dict[tuple[SeriesKey, int], int]:
        with self._lock:
            self._recover()
            ids = self._to_claim([msg_id for _, msg_id in items])
            done = self.store.applied_among(ids) if ids else set()
            fresh: dict[str, Reports] = {}
            for cols, msg_id in items:
                if msg_id not in done:
                    fresh.setdefault(msg_id, cols)
            if not fresh:
                return {}
            return self._apply_reports(list(fresh.values()), self._to_claim(list(fresh)))

    def apply(self, kind: str, payload: Any, msg_id: str) -> None:
        with self._lock:
            self._recover()
            if kind == "reports":
                claim = self._to_claim([msg_id])
                increments = self._apply_reports([payload], claim[0] if claim else None)
            elif kind in self.counters:
                increments = self.counters[kind].count(payload)
                self._store(lambda: self.store.add_counts(increments, msg_id))
            else:
                raise ValueError(f"no counter for {kind!r}")
        for listener in self._listeners:
            listener(increments)

    def feed(self, kind: str, payload: Any, msg_id: str) -> Future[None]:
        """Count a payload now and store it behind: for a caller with many batches in a row
        (a replay, an import) that has no client waiting on each one.

        Counting the next batch overlaps with storing this one, and batches queued while the
        writer is busy are committed together. The future is done when this batch is stored
        (listeners have heard of it then); batches of every kind are stored in the order they
        were fed. A store without a write queue stores before this returns.
        """
        done: Future[None] = Future()
        store = self.store
        if not isinstance(store, _Queued):
            self.apply(kind, payload, msg_id)
            done.set_result(None)
            return done
        counted: CountedReports | None = None
        with self._lock:
            failed = self._recover()
            if failed is not None:  # the caller's run of batches is broken: it hears of it
                raise _not_stored() from failed
            claim = self._to_claim([msg_id])
            if kind == "reports":
                counted, written = self._queue(store, [payload], claim[0] if claim else None)
                increments = counted.increments
            elif kind in self.counters:
                increments = self.counters[kind].count(payload)
                written = store.add_counts_later(increments, claim[0] if claim else None)
            else:
                raise ValueError(f"no counter for {kind!r}")

        def stored(result: Future[bool]) -> None:
            exc = result.exception()
            if exc is not None:
                self._failed = exc
                done.set_exception(exc)
                return
            if counted is not None:
                self._tally(counted)
            try:
                for listener in self._listeners:
                    listener(increments)
            except Exception as listener_exc:  # noqa: BLE001 - handed to the caller
                done.set_exception(listener_exc)
            else:
                done.set_result(None)

        written.add_done_callback(stored)
        return done

    def _queue(
        self, store: _Queued, parts: Sequence[Reports], msg_id: str | None, *, at_once: bool = False
    ) -> tuple[CountedReports, Future[bool]]:
        """Under the lock: count, and hand the write to the writer's queue without waiting
        (`at_once`: or write it now, if the writer is idle). The caller tallies the batch once
        it is stored."""
        counted = self._count(parts)
        written = store.write_reports_later(
            counted.batch, counted.increments, msg_id, at_once=at_once
        )
        return counted, written

    def _count(self, parts: Sequence[Reports]) -> CountedReports:
        """Under the lock: the reports of many requests as one batch, in their order."""
        counted = self._count_parts(parts)
        if self.shard is not None and counted.batch is not None:
            return replace(counted, batch=counted.batch._replace(shard=self.shard))
        return counted

    def _count_parts(self, parts: Sequence[Reports]) -> CountedReports:
        rows: list[ReportRow] = []
        for part in parts:
            if not isinstance(part, list) or len(rows) + len(part) > _FEW_ROWS:
                return self.reports.count(columns_together(parts))
            rows.extend(part)
        return self.reports.count_rows(rows)

    def _apply_reports(
        self, parts: Sequence[Reports], msg_id: str | list[str] | None
    ) -> dict[tuple[SeriesKey, int], int]:
        counted = self._count(parts)
        self._store(lambda: self.store.write_reports(counted.batch, counted.increments, msg_id))
        self._tally(counted)
        return counted.increments

    def _tally(self, counted: CountedReports) -> None:
        with self._tally_lock:
            # every report is counted, a repeat or over a limit: one of the three
            self.applied["reports"] += counted.counted + counted.duplicates + counted.limited
            self.applied["counted"] += counted.counted
            self.applied["duplicates"] += counted.duplicates
            self.applied["limited"] += counted.limited

    def _to_claim(self, ids: list[str]) -> list[str]:
        """The ids the store must remember, so that a message seen again is not counted again."""
        if self.log_redelivers:
            return ids
        return [msg_id for msg_id in ids if not is_new_message_id(msg_id)]

    def _store(self, write: Callable[[], bool]) -> None:
        try:
            write()
        except Exception as exc:
            self._forget()
            raise _not_stored() from exc

    def _recover(self) -> BaseException | None:
        """Under the lock, before counting: a fed batch that was not stored was counted by the
        windows all the same, so they are rebuilt from the store first. Returns its error."""
        failed, self._failed = self._failed, None
        if failed is not None:
            self._forget()
        return failed

    def _forget(self) -> None:
        """After a write failed: the dedupe windows already saw the batch, so they are rebuilt
        from what is stored, and the client's retry counts."""
        self.reports = ReportCounter(
            dedupe_minutes=self.reports.dedupe_minutes,
            network_limit=self.reports.network_limit,
            reporter_limit=self.reports.reporter_limit,
        )
        try:
            self._remember_recent()
        except Exception:  # the store is still away; the windows start empty
            pass


def _not_stored() -> Unavailable:
    return Unavailable("the store did not take the write; try again", retry_after=2)


_GROUP_REPORTS = 50_000
_GATHER_TURNS = 4  # at most: a steady stream must not hold a group back for ever


class _Together:
    """Collects report batches that wait at the same time and hands them over as one group."""

    def __init__(self, run: Callable[[list[tuple[Reports, str]]], Awaitable[None]]) -> None:
        self._run = run
        # a plain list and one future to wake the consumer: an asyncio.Queue costs more per
        # request than the report does on its way in
        self._waiting: list[tuple[Reports, str, asyncio.Future[None]]] = []
        self._wake: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    async def submit(self, cols: Reports, msg_id: str) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._task is None:
            self._loop, self._waiting, self._wake = loop, [], None
            self._task = loop.create_task(self._consume(loop))
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append((cols, msg_id, done))
        wake, self._wake = self._wake, None
        if wake is not None and not wake.done():
            wake.set_result(None)
        await done

    async def _consume(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            if not self._waiting:
                self._wake = loop.create_future()
                await self._wake
            # Requests read in the next turns of the loop join the group, as long as each turn
            # brings more: one count and one commit for all of them. Their answers then go out
            # together and their clients' next requests come in together, so groups stay as
            # large as the number of clients (measured: 12 requests a group without, 32 with
            # 32 connections, and 15% less work a request).
            for _ in range(_GATHER_TURNS):
                seen = len(self._waiting)
                await asyncio.sleep(0)
                if len(self._waiting) == seen:
                    break
            size, taken = 0, 0
            for cols, _, _ in self._waiting:
                taken += 1
                size += len(cols)
                if size >= _GROUP_REPORTS:
                    break
            group, self._waiting = self._waiting[:taken], self._waiting[taken:]
            try:
                await self._run([(cols, msg_id) for cols, msg_id, _ in group])
            except Exception as exc:  # every request of the group hears it
                for _, _, done in group:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, _, done in group:
                    if not done.done():
                        done.set_result(None)
