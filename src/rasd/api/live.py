"""Live updates: `GET /api/v1/live`, a stream of server-sent events fed by counting and detection.

Counting and detection run in other threads and may change many times a second (a replay runs
the clock 360 times faster than real time). Their listeners only add to a pending batch under a
lock; once a second a flusher turns the batch into at most one message per topic, framed once
as the bytes every reader is sent, and offers them to each reader:

- `update` (everyone): the server's time, the minute from which counts are not yet complete,
  new world-wide report counts per service and minute, and the incidents and events that
  changed;
- `detail` (pages watching a service, `?service=ID`): that service's counts per problem type
  and per region.

A crowd of readers is what this path is for (ten thousand on one process during an outage), so
the stream is answered in front of the framework (`LiveLane`): each reader holds a short list of
frames not yet written; offering a frame appends to it and wakes the reader's own task, which
writes what it holds in one piece. The flusher never waits for a socket: a reader whose list is
full (its connection takes less than it is sent) is dropped, its stream ended, and its browser
reconnects and catches up. Each message has an id; a browser that reconnects sends the last one
it saw (Last-Event-ID) and gets what it missed from a short ring, or a `resync` message when the
gap is too old. Streams end by themselves after a while (and all at once when the server stops).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from rasd.clock import Clock, counted_until, minute_of, minute_start
from rasd.errors import InvalidInput
from rasd.http.guard import SECURITY_HEADERS
from rasd.http.process import runtime_of
from rasd.locale.findings import said
from rasd.locale.phrases import CatalogNames, Names
from rasd.series import PROBLEM_PREFIX, REPORTS, WORLD, SeriesKey

router = APIRouter(prefix="/api/v1", tags=["live"])
PATH = "/api/v1/live"

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


class _Reader:
    """One open stream: the frames offered and not yet written, at most `size` of them.

    Under uvicorn a reader is given its connection once the response has begun (`wire`):
    frames are then written to its socket as they are offered, each the same bytes for every
    reader (the HTTP chunk made once per frame), without waking the reader's task at all.
    Its bound is then the bytes the socket has not taken yet.
    """

    __slots__ = ("services", "frames", "size", "ends", "closed", "wire", "_waiter")

    def __init__(self, services: frozenset[str], size: int, ends: float) -> None:
        self.services = services
        self.frames: list[bytes] = []
        self.size = size
        self.ends = ends  # the event loop's time at which the stream ends by itself
        self.closed = False
        self.wire: Any = None  # uvicorn's response cycle, written to directly
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, frame: bytes, chunk: bytes | None = None) -> bool:
        """Hold or write `frame` (`chunk` is it framed as an HTTP chunk); False when the
        reader already holds all it may."""
        if self.closed:
            return True
        wire = self.wire
        if wire is not None:
            transport = wire.transport
            if wire.disconnected or transport.is_closing():
                self.end()
                return True
            if transport.get_write_buffer_size() > _BEHIND:
                return False
            transport.write(chunk or _chunk(frame))
            return True
        if len(self.frames) >= self.size:
            return False
        self.frames.append(frame)
        self._wake()
        return True

    def end(self) -> None:
        self.closed = True
        self._wake()

    def take(self) -> bytes:
        frames, self.frames = self.frames, []
        return frames[0] if len(frames) == 1 else b"".join(frames)

    async def wait(self) -> None:
        """Until there is something to write or the stream is to end."""
        if self.frames or self.closed:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


# bytes a reader's socket may leave unsent before it is behind (uvicorn pauses writing there)
_BEHIND = 64 * 1024


def _chunk(frame: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(frame), frame)


def _wire_of(send: Send) -> Any:
    """uvicorn's response cycle behind `send`, if the body is sent in chunks on a socket it
    holds; None for any other server (then every frame goes through `send`)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if (
        getattr(cycle, "chunked_encoding", None) is True
        and isinstance(getattr(cycle, "disconnected", None), bool)
        and all(hasattr(transport, n) for n in ("write", "is_closing", "get_write_buffer_size"))
    ):
        return cycle
    return None


@dataclass(frozen=True)
class _Flushed:
    seq: int
    update: bytes
    details: Mapping[str, bytes]
    # the same framed as HTTP chunks, made once for every reader written to directly
    update_chunk: bytes = b""
    detail_chunks: Mapping[str, bytes] = field(default_factory=dict)


_KEEPALIVE = b": keep-alive\n\n"
_START_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # a proxy in front must not hold events back
]


# a hub made without a catalog names services and owners by their ids
_NO_NAMES = CatalogNames({})


class LiveHub:
    def __init__(
        self,
        clock: Clock,
        *,
        interval: float = 1.0,
        keepalive: float = 15.0,
        lifetime: float = 300.0,
        queue_size: int = 16,
        ring: int = 120,
        names: Names | None = None,
    ) -> None:
        self.clock = clock
        # an event's title is a phrase: said here, once per change, for every reader
        self.names = names
        self.interval = interval
        self.keepalive = keepalive
        self.lifetime = lifetime
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._pending = _Pending()
        self._watched: dict[str, int] = {}  # service -> readers watching it
        # in the order they came, which is the order their lifetimes end
        self._readers: dict[int, _Reader] = {}
        self._ring: deque[_Flushed] = deque(maxlen=ring)
        self._seq = 0
        self._last_minute: tuple[int, int] | None = None  # (now, counted until)
        self._last_sent = 0.0  # the event loop's time of the last frame offered to all
        self._task: asyncio.Task[None] | None = None
        self.generation = 0  # bumped whenever an incident or event changes
        self.engine: Any = None  # the detection engine listened to
        self.sent = 0  # frames offered to readers
        self.dropped = 0  # readers dropped for being too far behind

    # -- producers (any thread) --------------------------------------------------------------
    def on_counts(self, increments: Mapping[tuple[SeriesKey, int], int]) -> None:
        with self._lock:
            if not self._readers:
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
            if not self._readers:
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
                keys = ("id", "state", "level", "primary", "spillover", "start", "end")
                brief = {k: event.get(k) for k in keys}
                brief["title"] = said(event.get("title"), self.names or _NO_NAMES)
                self._pending.events[str(event.get("id"))] = brief

    # -- readers (the event loop) ------------------------------------------------------------
    def subscribe(self, services: frozenset[str], last_id: int | None) -> _Reader:
        loop = asyncio.get_running_loop()
        reader = _Reader(services, self.queue_size, loop.time() + self.lifetime)
        with self._lock:
            self._readers[id(reader)] = reader
            for service in services:
                self._watched[service] = self._watched.get(service, 0) + 1
            backlog = list(self._ring)
        hello = {"now": self.clock.now().isoformat(), "generation": self.generation}
        reader.offer(b"retry: 1000\n" + _frame("hello", hello))
        if last_id is not None:
            if backlog and last_id >= backlog[0].seq - 1:
                for flushed in backlog:
                    if flushed.seq > last_id:
                        self._offer(reader, flushed)
            elif last_id < self._seq:
                reader.offer(_frame("resync", {"now": self.clock.now().isoformat()}))
        if self._task is None or self._task.done():
            self._last_sent = loop.time()
            self._task = loop.create_task(self._run())
        return reader

    def unsubscribe(self, reader: _Reader) -> None:
        with self._lock:
            if self._readers.pop(id(reader), None) is not None:
                for service in reader.services:
                    left = self._watched.get(service, 0) - 1
                    if left > 0:
                        self._watched[service] = left
                    else:
                        self._watched.pop(service, None)
            if not self._readers:
                self._pending = _Pending()

    @property
    def subscribers(self) -> int:
        return len(self._readers)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        with self._lock:
            readers = list(self._readers.values())
        for reader in readers:
            reader.end()

    async def serve(self, reader: _Reader, receive: Receive, send: Send, headers: Any) -> None:
        """Write `reader`'s stream as an ASGI response until it ends or its client goes."""
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        wire = _wire_of(send)
        # written directly, a reader learns that its client went at the next write; otherwise
        # a task listens for the disconnect
        gone = None if wire else asyncio.ensure_future(_until_disconnect(receive, reader))
        try:
            while True:
                await reader.wait()
                if reader.frames:
                    body = reader.take()
                    await send({"type": "http.response.body", "body": body, "more_body": True})
                    if wire is not None and not reader.frames:
                        reader.wire = wire  # from now on frames are written as offered
                elif reader.closed:
                    break
            if wire is not None and wire.transport.get_write_buffer_size() > _BEHIND:
                # too far behind to be told the stream ended: cut, its browser reconnects
                wire.transport.abort()
                await asyncio.sleep(0)  # uvicorn learns the connection is gone first
                return
            # a dropped reader's socket may take nothing more: its last write has a deadline
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": b"", "more_body": False}),
                    self.keepalive,
                )
        finally:
            if gone is not None:
                gone.cancel()
            self.unsubscribe(reader)

    # -- the flusher -------------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._readers:
            await asyncio.sleep(self.interval)
            self.flush()
            now = loop.time()
            self._expire(now)
            if now - self._last_sent >= self.keepalive:
                self._offer_all(_KEEPALIVE)

    def _expire(self, now: float) -> None:
        with self._lock:
            ended = []
            for reader in self._readers.values():
                if reader.ends > now:
                    break
                ended.append(reader)
        for reader in ended:
            self.unsubscribe(reader)
            reader.end()

    def flush(self) -> int | None:
        """Send what is pending as one message per topic; the message id, or None if idle."""
        now = self.clock.now()
        with self._lock:
            pending, self._pending = self._pending, _Pending()
            readers = list(self._readers.values())
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
        frame = _frame("update", update, seq)
        chunks = {service: _chunk(detail) for service, detail in details.items()}
        flushed = _Flushed(seq, frame, details, _chunk(frame), chunks)
        self._ring.append(flushed)
        for reader in readers:
            self._offer(reader, flushed)
        self._mark_sent()
        return seq

    def _offer_all(self, frame: bytes) -> None:
        with self._lock:
            readers = list(self._readers.values())
        chunk = _chunk(frame)
        for reader in readers:
            if not reader.offer(frame, chunk):
                self._drop(reader)
        self._mark_sent()

    def _offer(self, reader: _Reader, flushed: _Flushed) -> None:
        if not reader.offer(flushed.update, flushed.update_chunk):
            self._drop(reader)
            return
        self.sent += 1
        for service in reader.services:
            detail = flushed.details.get(service)
            if detail is None:
                continue
            if not reader.offer(detail, flushed.detail_chunks.get(service)):
                self._drop(reader)
                return
            self.sent += 1

    def _mark_sent(self) -> None:
        with contextlib.suppress(RuntimeError):  # flushed by hand, outside the event loop
            self._last_sent = asyncio.get_running_loop().time()

    def _drop(self, reader: _Reader) -> None:
        # a reader this far behind gets its stream ended; its browser reconnects and catches
        # up from the ring or resyncs
        self.dropped += 1
        self.unsubscribe(reader)
        reader.frames.clear()
        reader.end()


async def _until_disconnect(receive: Receive, reader: _Reader) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    reader.end()


def _frame(kind: str, data: Any, seq: int | None = None) -> bytes:
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {kind}\n".encode() + b"data: " + orjson.dumps(data) + b"\n\n"


def attach(runtime: Any, **options: Any) -> LiveHub:
    """The hub of this process, listening to its aggregator and detection engine."""

    def make() -> LiveHub:
        options.setdefault("names", CatalogNames(runtime.catalog))
        made = LiveHub(runtime.clock, **options)
        if runtime.aggregator is not None:
            runtime.aggregator.listen(made.on_counts)
        return made

    hub: LiveHub = runtime.live.get(make)
    engine = runtime.engine
    # the engine may be attached after the app was made: listen to it once it is there
    if engine is not None and hub.engine is not engine:
        engine.listen(hub.on_change)
        hub.engine = engine
    return hub


def end_streams(runtime: Any) -> None:
    """End every live stream of this process (it is stopping)."""
    hub: LiveHub | None = runtime.live.made
    if hub is not None:
        hub.close()


def _last_id(raw: str | None) -> int | None:
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


class _Stream(Response):
    """The route's answer: the same stream the lane writes, after the route's checks."""

    def __init__(self, hub: LiveHub, services: frozenset[str], last_id: int | None) -> None:
        super().__init__(media_type="text/event-stream")
        self.hub = hub
        self.services = services
        self.last_id = last_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reader = self.hub.subscribe(self.services, self.last_id)
        await self.hub.serve(reader, receive, send, _START_HEADERS)


@router.get(
    "/live",
    summary="Live updates as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def live(
    request: Request,
    service: list[str] = _SERVICES,
) -> Response:
    runtime = runtime_of(request)
    if len(service) > _MAX_SERVICES:
        raise InvalidInput(
            f"watch at most {_MAX_SERVICES} services at once",
            details=[{"field": "service", "reason": "too many"}],
        )
    for sid in service:
        runtime.catalog.get(sid)
    raw = request.headers.get("last-event-id") or request.query_params.get("last_id")
    return _Stream(attach(runtime), frozenset(service), _last_id(raw))


class LiveLane:
    """Opens a well-formed stream without the framework: a crowd connecting at once during an
    outage costs a query parsed and a reader made each. Anything the lane does not take (too
    many services, one the catalog lacks) goes to the route, which answers with the error."""

    def __init__(self, runtime: Any, route: ASGIApp) -> None:
        self.runtime = runtime
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        last: str | None = None
        for name, value in scope["headers"]:
            if name == b"last-event-id":
                last = value.decode("latin-1")
        services: list[str] = []
        query = scope.get("query_string", b"").decode("latin-1")
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key == "service":
                services.append(value)
            elif key == "last_id" and last is None:
                last = value
        catalog = self.runtime.catalog
        if len(services) > _MAX_SERVICES or not all(s in catalog for s in services):
            await self.route(scope, receive, send)
            return
        hub = attach(self.runtime)
        reader = hub.subscribe(frozenset(services), _last_id(last))
        await hub.serve(reader, receive, send, _LANE_HEADERS)


_LANE_HEADERS = _START_HEADERS + [
    (name.encode(), value.encode()) for name, value in SECURITY_HEADERS
]
