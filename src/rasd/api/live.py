"""Live updates: `GET /api/v1/live`, a stream of server-sent events fed by counting and detection.

Counting and detection run in other threads and may change many times a second (a replay runs
the clock 360 times faster than real time). Their listeners only add to a pending batch under a
lock; once a second a flusher turns the batch into at most one message per topic, encodes it
once, and hands it to every subscriber's queue:

- `update` (everyone): the server's time, the minute from which counts are not yet complete,
  new world-wide report counts per service and minute, and the incidents and events that
  changed;
- `detail` (pages watching a service, `?service=ID`): that service's counts per problem type
  and per region.

Each message has an id; a browser that reconnects sends the last one it saw (Last-Event-ID) and
gets what it missed from a short ring, or a `resync` message when the gap is too old. Streams
end by themselves after a while, so a server can shut down without waiting for its visitors.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from rasd.clock import Clock, counted_until, minute_of, minute_start
from rasd.errors import InvalidInput
from rasd.series import PROBLEM_PREFIX, REPORTS, WORLD, SeriesKey

router = APIRouter(prefix="/api/v1", tags=["live"])

_MAX_SERVICES = 20
_SERVICES = Query(default_factory=list, description="Services to follow in detail.")


@dataclass
class _Pending:
    world: dict[str, dict[int, int]] = field(default_factory=dict)
    problems: dict[str, dict[str, int]] = field(default_factory=dict)
    regions: dict[str, dict[str, int]] = field(default_factory=dict)
    incidents: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.world or self.problems or self.regions or self.incidents or self.events)


@dataclass
class _Subscriber:
    services: frozenset[str]
    queue: asyncio.Queue[bytes | None]


@dataclass(frozen=True)
class _Flushed:
    seq: int
    update: bytes
    details: Mapping[str, bytes]


class LiveHub:
    def __init__(
        self,
        clock: Clock,
        *,
        interval: float = 1.0,
        keepalive: float = 15.0,
        lifetime: float = 20.0,
        queue_size: int = 64,
        ring: int = 120,
    ) -> None:
        self.clock = clock
        self.interval = interval
        self.keepalive = keepalive
        self.lifetime = lifetime
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._watched: dict[str, int] = {}  # service -> subscribers watching it
        self._subscribers: list[_Subscriber] = []
        self._ring: deque[_Flushed] = deque(maxlen=ring)
        self._seq = 0
        self._last_minute: tuple[int, int] | None = None  # (now, counted until)
        self._task: asyncio.Task[None] | None = None
        self.generation = 0  # bumped whenever an incident or event changes
        self.engine: Any = None  # the detection engine listened to
        self.sent = 0

    # -- producers (any thread) --------------------------------------------------------------
    def on_counts(self, increments: Mapping[tuple[SeriesKey, int], int]) -> None:
        with self._lock:
            if not self._subscribers:
                return
            pending = self._pending
            for (key, minute), n in increments.items():
                if key.signal == REPORTS:
                    if key.region == WORLD:
                        by_minute = pending.world.setdefault(key.service, {})
                        by_minute[minute] = by_minute.get(minute, 0) + n
                    elif key.service in self._watched:
                        regions = pending.regions.setdefault(key.service, {})
                        regions[key.region] = regions.get(key.region, 0) + n
                elif key.signal.startswith(PROBLEM_PREFIX) and key.service in self._watched:
                    problem = key.signal[len(PROBLEM_PREFIX) :]
                    problems = pending.problems.setdefault(key.service, {})
                    problems[problem] = problems.get(problem, 0) + n

    def on_change(self, kind: str, payload: Mapping[str, Any]) -> None:
        with self._lock:
            self.generation += 1
            if not self._subscribers:
                return
            if kind == "incident":
                incident = payload.get("incident") or {}
                brief = {
                    k: incident.get(k) for k in ("id", "service", "state", "level", "start", "end")
                }
                brief["change"] = payload.get("change")
                self._pending.incidents[str(brief["id"])] = brief
            elif kind == "event":
                event = payload.get("event") or {}
                keys = ("id", "state", "level", "title", "primary", "spillover", "start", "end")
                self._pending.events[str(event.get("id"))] = {k: event.get(k) for k in keys}

    # -- subscribers -------------------------------------------------------------------------
    def subscribe(self, services: frozenset[str], last_id: int | None) -> _Subscriber:
        sub = _Subscriber(services, asyncio.Queue(self.queue_size))
        with self._lock:
            self._subscribers.append(sub)
            for service in services:
                self._watched[service] = self._watched.get(service, 0) + 1
            backlog = list(self._ring)
        if last_id is not None:
            if backlog and last_id >= backlog[0].seq - 1:
                for flushed in backlog:
                    if flushed.seq > last_id:
                        self._offer(sub, flushed)
            elif last_id < self._seq:
                sub.queue.put_nowait(_frame("resync", {"now": self.clock.now().isoformat()}))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return sub

    def unsubscribe(self, sub: _Subscriber) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)
                for service in sub.services:
                    left = self._watched.get(service, 0) - 1
                    if left > 0:
                        self._watched[service] = left
                    else:
                        self._watched.pop(service, None)
            if not self._subscribers:
                self._pending = _Pending()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def close(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for sub in subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(None)

    # -- the flusher -------------------------------------------------------------------------
    async def _run(self) -> None:
        while self._subscribers:
            await asyncio.sleep(self.interval)
            self.flush()

    def flush(self) -> int | None:
        """Send what is pending as one message per topic; the message id, or None if idle."""
        now = self.clock.now()
        with self._lock:
            pending, self._pending = self._pending, _Pending()
            subscribers = list(self._subscribers)
        minute = minute_of(now)
        counted = counted_until(getattr(self.engine, "last_minute", None), now)
        if pending.empty() and (minute, counted) == self._last_minute:
            return None
        self._last_minute = (minute, counted)
        self._seq += 1
        seq = self._seq
        update = {
            "now": now.isoformat(),
            # counts of minutes from here on may still grow: charts hold them back
            "counted_until": minute_start(counted).isoformat(),
            "counts": {s: {str(m): n for m, n in c.items()} for s, c in pending.world.items()},
            "incidents": list(pending.incidents.values()),
            "events": list(pending.events.values()),
        }
        details = {}
        for service in set(pending.problems) | set(pending.regions):
            details[service] = _frame(
                "detail",
                {
                    "service": service,
                    "problems": pending.problems.get(service, {}),
                    "regions": pending.regions.get(service, {}),
                },
                seq,
            )
        flushed = _Flushed(seq, _frame("update", update, seq), details)
        self._ring.append(flushed)
        for sub in subscribers:
            self._offer(sub, flushed)
        return seq

    def _offer(self, sub: _Subscriber, flushed: _Flushed) -> None:
        frames = [flushed.update]
        frames.extend(flushed.details[s] for s in sub.services if s in flushed.details)
        for frame in frames:
            try:
                sub.queue.put_nowait(frame)
                self.sent += 1
            except asyncio.QueueFull:
                # a reader this far behind gets its stream ended; its browser reconnects and
                # catches up from the ring or resyncs
                self._drop(sub)
                return

    def _drop(self, sub: _Subscriber) -> None:
        self.unsubscribe(sub)
        with contextlib.suppress(asyncio.QueueEmpty):
            while True:
                sub.queue.get_nowait()
        sub.queue.put_nowait(None)

    async def stream(self, services: frozenset[str], last_id: int | None) -> AsyncIterator[bytes]:
        sub = self.subscribe(services, last_id)
        loop = asyncio.get_running_loop()
        ends = loop.time() + self.lifetime
        try:
            hello = {"now": self.clock.now().isoformat(), "generation": self.generation}
            yield b"retry: 1000\n" + _frame("hello", hello)
            while True:
                left = ends - loop.time()
                if left <= 0:
                    return
                try:
                    frame = await asyncio.wait_for(sub.queue.get(), min(self.keepalive, left))
                except TimeoutError:
                    if loop.time() >= ends:
                        return
                    yield b": keep-alive\n\n"
                    continue
                if frame is None:
                    return
                yield frame
        finally:
            self.unsubscribe(sub)


def _frame(kind: str, data: Any, seq: int | None = None) -> bytes:
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {kind}\n".encode() + b"data: " + orjson.dumps(data) + b"\n\n"


def attach(runtime: Any, **options: Any) -> LiveHub:
    """The hub of this process, listening to its aggregator and detection engine."""
    hub: LiveHub | None = runtime.extras.get("live")
    if hub is None:
        hub = LiveHub(runtime.clock, **options)
        runtime.extras["live"] = hub
        if runtime.aggregator is not None:
            runtime.aggregator.listen(hub.on_counts)
    engine = runtime.engine
    # the engine may be attached after the app was made: listen to it once it is there
    if engine is not None and hub.engine is not engine:
        engine.listen(hub.on_change)
        hub.engine = engine
    return hub


def _last_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("last_id")
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


@router.get(
    "/live",
    summary="Live updates as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def live(
    request: Request,
    service: list[str] = _SERVICES,
) -> StreamingResponse:
    runtime = request.app.state.runtime
    if len(service) > _MAX_SERVICES:
        raise InvalidInput(
            f"watch at most {_MAX_SERVICES} services at once",
            details=[{"field": "service", "reason": "too many"}],
        )
    for sid in service:
        runtime.catalog.get(sid)
    hub = attach(runtime)
    return StreamingResponse(
        hub.stream(frozenset(service), _last_id(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
