"""Live updates to a crowd: N concurrent SSE readers on 127.0.0.1 against a real `rasd serve`.

Each server runs in its own process; the readers run in this one (raw asyncio protocols, so
the client costs little next to the server). Three servers, one after the other, in the same run:

- `bare`: a bare ASGI app on the same uvicorn (uvloop, httptools) that sends every stream the
  same bytes each tick, each connection awaiting the tick in its own task: the baseline;
- `rasd`: `rasd serve` itself, its updates caused by reports posted once a second;
- `sse-starlette` (when the package can be imported): the same server, its streams written by
  sse-starlette's EventSourceResponse from the same hub instead of the live lane.

Two phases: small updates (a few dozen services' counts, as during an outage), then updates
with a large detail for one service (reports from 3,000 cities, about 75 KB a second)
sent to those who watch it, a few hundred readers of whom some have stopped reading: to see
those dropped once their sockets hold all they can, and every other reader still served.
Printed per server: the share of readers each update reached within 1 s
of being made (median and worst update), latency percentiles, the server's RSS growth with the
readers connected, and the slow readers whose streams the server ended.

    .venv/bin/python bench/live_bench.py [--readers 10000] [--slow 100] [--servers bare,rasd]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import re
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop
from serving import lifespan, rss_mb, served

from rasd.catalog import default_catalog
from rasd.ingest.places import Places

TOKEN = "live-bench-import-token"
_ID = re.compile(rb"(?m)^id: (\d+)\r?$")
_NOW = re.compile(rb'"now":"([^"]+)"')
SERVICES = 30  # services reported to each second
WATCHED = "whatsapp"  # the service the watchers follow in detail
CITIES = 3_000  # cities its reports come from each second of the second phase


# -- the servers -----------------------------------------------------------------------------


def _bare_app() -> Any:
    """Streams that each await the next tick and send its bytes; POST /tick?size=N makes one."""
    state: dict[str, Any] = {"tick": None, "seq": 0}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        loop = asyncio.get_running_loop()
        if state["tick"] is None:
            state["tick"] = loop.create_future()
        if scope["method"] == "POST":
            size = int(scope["query_string"].decode().partition("=")[2] or 600)
            state["seq"] += 1
            now = datetime.now(UTC).isoformat()
            data = orjson.dumps({"now": now, "counts": "x" * size})
            frame = f"id: {state['seq']}\nevent: update\n".encode() + b"data: " + data + b"\n\n"
            tick, state["tick"] = state["tick"], loop.create_future()
            tick.set_result(frame)
            headers = [(b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"event: hello\n\n", "more_body": True})
        while True:
            frame = await state["tick"]
            await send({"type": "http.response.body", "body": frame, "more_body": True})

    return app


class _SseStarletteLane:
    """The live stream written by sse-starlette: the hub's events, each encoded per reader."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.sse = importlib.import_module("sse_starlette")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from rasd.api import live

        hub = live.attach(self.runtime)
        reader = hub.subscribe(frozenset(), None)
        sse = self.sse

        async def events() -> Any:
            try:
                while True:
                    await reader.wait()
                    if not reader.frames:
                        return
                    for frame in reader.frames:
                        fields = _fields(frame)
                        yield sse.ServerSentEvent(
                            data=fields.get("data", ""),
                            event=fields.get("event"),
                            id=fields.get("id"),
                        )
                    reader.frames.clear()
            finally:
                hub.unsubscribe(reader)

        response = sse.EventSourceResponse(events(), headers={"Cache-Control": "no-cache"})
        await response(scope, receive, send)


def _fields(frame: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in frame.decode().split("\n"):
        name, sep, value = line.partition(": ")
        if sep and name in ("id", "event", "data"):
            out[name] = value
    return out


def _serve(kind: str, port: int) -> None:
    if kind == "bare":
        import uvicorn

        uvicorn.run(
            _bare_app(),
            host="127.0.0.1",
            port=port,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            access_log=False,
            backlog=4096,
        )
        return
    from rasd.assembly import embedded
    from rasd.server import run
    from rasd.settings import Settings
    from rasd.shell.app import create_app

    runtime = embedded(Settings())
    app = create_app(runtime)
    setattr(app, "live", _SseStarletteLane(runtime))  # noqa: B010 - the lane's hook, swapped
    run(runtime, app=app)


def _server_env(port: int, store: str) -> dict[str, str]:
    return {
        **os.environ,
        "RASD_OFFLINE": "true",
        "RASD_PORT": str(port),
        "RASD_STORE_URL": store,
        "RASD_IMPORT_TOKENS": orjson.dumps([TOKEN]).decode(),
        "RASD_SOURCES_ENABLED": "false",
        "RASD_PROBER_ENABLED": "false",
        # every report of the bench counts (they all come from one address)
        "RASD_NETWORK_LIMIT": "100000000",
        "RASD_REPORTER_LIMIT": "100000000",
    }


@contextlib.contextmanager
def _server(kind: str, port: int) -> Iterator[int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:///{Path(tmp) / 'live.db'}"
        if kind == "rasd":
            command = [sys.executable, "-m", "rasd.cli", "serve", "--port", str(port)]
        else:
            command = [sys.executable, __file__, "--serve", kind, "--port", str(port)]
        with served(kind, command, _server_env(port, store), port) as pid:
            yield pid


# -- the readers -----------------------------------------------------------------------------


@dataclass
class _Seen:
    made: dict[int, float] = field(default_factory=dict)  # update id -> when it was made


class _Reader(asyncio.Protocol):
    def __init__(self, seen: _Seen, slow: bool, path: bytes) -> None:
        self.seen = seen
        self.path = path
        self.slow = slow
        self.got: dict[int, float] = {}
        self.started = asyncio.get_running_loop().create_future()
        self.ended = False
        self.tail = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(b"GET " + self.path + b" HTTP/1.1\r\nHost: rasd.example\r\n\r\n")

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self.started.done():
            self.started.set_result(None)
            if self.slow and self.transport is not None:
                self.transport.pause_reading()  # a reader that stops reading
        data = self.tail + data
        for match in _ID.finditer(data):
            seq = int(match.group(1))
            self.got.setdefault(seq, now)
            if seq not in self.seen.made:
                made = _NOW.search(data, match.end())
                if made is not None:
                    stamp = datetime.fromisoformat(made.group(1).decode()).timestamp()
                    self.seen.made[seq] = stamp
        if b"\r\n0\r\n\r\n" in data:
            self.ended = True  # the server ended the stream
        self.tail = data[-4096:]

    def eof_received(self) -> bool:
        self.ended = True
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True


async def _open(n: int, port: int, seen: _Seen, slow: bool, watch: bool) -> list[_Reader]:
    path = b"/api/v1/live" + (f"?service={WATCHED}".encode() if watch else b"")
    loop = asyncio.get_running_loop()
    readers: list[_Reader] = []
    gate = asyncio.Semaphore(200)

    async def one() -> None:
        async with gate:
            sock = socket.socket()
            if slow:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
            sock.setblocking(False)
            try:
                await loop.sock_connect(sock, ("127.0.0.1", port))
                _, reader = await loop.create_connection(
                    lambda: _Reader(seen, slow, path), sock=sock
                )
                await asyncio.wait_for(reader.started, 60)
            except (OSError, TimeoutError) as e:
                failed.append(repr(e))
                sock.close()
                return
            readers.append(reader)

    failed: list[str] = []
    await asyncio.gather(*(one() for _ in range(n)))
    if failed:
        print(f"  {len(failed)} readers could not open a stream, e.g. {failed[0]}")
    return readers


async def _produce(kind: str, client: httpx.AsyncClient, watch: int, round_: int) -> None:
    """Reports for a few dozen services; with `watch`, for the watched one from that many
    cities too."""
    if kind == "bare":
        await client.post(f"/tick?size={20 * SERVICES}")
        return
    now = datetime.now(UTC).isoformat()
    catalog = default_catalog()
    items = [
        {
            "service": s.id,
            "problem": s.problems[0],
            "reporter": f"r{round_}-{i}",
            "country": "EG",
            "ts": now,
        }
        for i, s in enumerate(list(catalog)[:SERVICES])
    ]
    if watch:
        problem = catalog.get(WATCHED).problems[0]
        items += [
            {
                "service": WATCHED,
                "problem": problem,
                "reporter": f"w{round_}-{i}",
                "country": city.country,
                "city": city.name,
                "ts": now,
            }
            for i, city in enumerate(_cities()[:watch])
        ]
    for attempt in range(3):
        try:
            response = await client.post(
                "/api/v1/reports/batch", json=items, headers={"Authorization": f"Bearer {TOKEN}"}
            )
            break
        except httpx.TransportError:
            # a kept connection the server closed as it was reused: once more on a new one
            if attempt == 2:
                raise
    if response.status_code != 202:
        raise SystemExit(f"reports refused: {response.text[:300]}")


@cache
def _cities() -> list[Any]:
    places = Places.default()
    cities: list[Any] = []
    for country in ("US", "IN", "BR", "DE", "FR", "GB", "MX", "IT", "ES", "RU", "CN", "JP"):
        cities += places.cities_in(country)
    return cities


def _shares(
    readers: list[_Reader], seen: _Seen, ids: list[int]
) -> tuple[float, float, list[float]]:
    shares = []
    late: list[float] = []
    for seq in ids:
        made = seen.made[seq]
        within = 0
        for reader in readers:
            got = reader.got.get(seq)
            if got is None:
                late.append(float("inf"))
                continue
            late.append(got - made)
            within += got - made <= 1.0
        shares.append(within / len(readers))
    shares.sort()
    return shares[len(shares) // 2], shares[0], late


def _pct(values: list[float], q: float) -> str:
    values = sorted(values)
    v = values[min(len(values) - 1, int(q * len(values)))]
    return "never" if v == float("inf") else f"{v * 1000:.0f} ms"


async def _run(kind: str, port: int, args: argparse.Namespace) -> None:
    with _server(kind, port) as pid:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            await asyncio.sleep(2)  # the server settles after start
            before = rss_mb(pid)
            load = Path("/proc/loadavg").read_text().split()[:3]
            seen = _Seen()
            began = time.perf_counter()
            watchers = min(args.watchers, args.readers)
            fast = await _open(watchers, port, seen, slow=False, watch=True)
            fast += await _open(args.readers - watchers, port, seen, slow=False, watch=False)
            slow = await _open(args.slow, port, seen, slow=True, watch=True)
            opened = time.perf_counter() - began
            await asyncio.sleep(2)
            connected = rss_mb(pid)
            peak = connected
            phases: dict[str, list[int]] = {}
            plan = [("small", args.updates)]
            if kind != "bare":  # the bare app has no details to watch
                plan.append(("watched", args.watch))
            done = 0
            for phase, rounds in plan:
                known = set(seen.made)
                for _ in range(rounds):
                    tick = time.perf_counter()
                    cities = args.cities if phase == "watched" else 0
                    await _produce(kind, client, cities, done)
                    done += 1
                    await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
                    peak = max(peak, rss_mb(pid))
                await asyncio.sleep(2.5)
                phases[phase] = sorted(set(seen.made) - known)
            for reader in slow:
                if reader.transport is not None:
                    reader.transport.resume_reading()
            await asyncio.sleep(3)
            dropped = sum(r.ended for r in slow)
            end_load = Path("/proc/loadavg").read_text().split()[:3]
            print(
                f"{kind}: {args.readers} readers ({watchers} watching {WATCHED}; +{args.slow} "
                f"watching it that stop reading) opened in "
                f"{opened:.1f} s; RSS {before:.0f} MB -> {connected:.0f} MB connected "
                f"(+{connected - before:.0f} MB), peak {peak:.0f} MB (+{peak - before:.0f} MB); "
                f"load {' '.join(load)} -> {' '.join(end_load)}"
            )
            for phase, ids in phases.items():
                if not ids:
                    print(f"  {phase}: no update arrived")
                    continue
                median, worst, late = _shares(fast, seen, ids)
                print(
                    f"  {phase}: {len(ids)} updates; reached within 1 s: median {median:.1%}, "
                    f"worst {worst:.1%}; latency p50 {_pct(late, 0.5)}, p99 {_pct(late, 0.99)}, "
                    f"max {_pct(late, 1.0)}"
                )
            print(f"  slow readers whose stream the server ended: {dropped} of {len(slow)}")
            for reader in fast + slow:
                if reader.transport is not None:
                    reader.transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--readers", type=int, default=10_000)
    parser.add_argument("--slow", type=int, default=100)
    parser.add_argument("--updates", type=int, default=10, help="seconds of small updates")
    parser.add_argument("--watch", type=int, default=60, help="seconds of large details")
    parser.add_argument("--watchers", type=int, default=200)
    parser.add_argument(
        "--cities", type=int, default=CITIES, help="cities a second in the watched detail"
    )
    parser.add_argument("--servers", default="bare,rasd,sse-starlette")
    parser.add_argument("--port", type=int, default=8631)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port)
        return
    for kind in args.servers.split(","):
        if kind == "sse-starlette" and importlib.util.find_spec("sse_starlette") is None:
            print("sse-starlette: not installed, skipped")
            continue
        uvloop.run(_run(kind, args.port, args))


if __name__ == "__main__":
    main()
