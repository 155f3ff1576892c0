"""An open-loop poster of single reports, in a process of its own: the benchmarks' load of
reports that arrive at a fixed rate whatever the server's answers take.

wrk waits for each answer before the next request on a connection, so a slow server is asked
for fewer reports, and a benchmark "at 2,000 reports/s" measured a server that took half that.
Here request `i` is due at `start + i / rate`; when it is due it goes out on an idle
connection, on a new one if none is idle (up to `--connections`), and its latency counts from
the time it was due, so a queue the server builds shows in it. Prints one JSON line: asked,
sent, acknowledged (2xx), refused (other statuses), failed (no answer), the rate reached, the
latency's p50 and p99 in ms, the connections opened and the requests sent late (over 5 ms after
their time: the poster itself fell behind), after a line `started` when its clock starts.

    python bench/poster.py --port 8000 --rate 2000 --seconds 17
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

import orjson
import uvloop

from rasd.catalog import default_catalog

_LATE = 0.005
_TICK = 0.001  # the scheduler's step: due requests go out together each step


class _Tally:
    def __init__(self) -> None:
        self.sent = self.acknowledged = self.refused = self.failed = self.late = 0
        self.opened = 0
        self.latencies: list[float] = []


def _request(i: int, services: list[tuple[str, str]]) -> bytes:
    service, problem = services[i % len(services)]
    body = orjson.dumps(
        {"service": service, "problem": problem, "reporter": f"poster-{i}", "country": "EG"}
    )
    # each report from its own address, as a crowd's (the server trusts 127.0.0.1 as a proxy)
    address = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    return (
        b"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nX-Forwarded-For: " + address.encode() + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


class _Poster:
    def __init__(self, port: int, cap: int, tally: _Tally) -> None:
        self.port = port
        self.cap = cap
        self.tally = tally
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.open = 0
        self.waiting: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send(self, due: float, request: bytes, fresh: bool = False) -> None:
        if self.idle and not fresh:
            connection = self.idle.pop()
        elif self.open < self.cap or fresh:
            self.open += 1
            self.tally.opened += 1
            try:
                connection = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                self.open -= 1
                self.tally.failed += 1
                return
        else:
            await self.waiting.put((due, request))  # every connection busy: next one free
            return
        await self._use(connection, due, request, fresh)

    async def _use(
        self,
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        due: float,
        request: bytes,
        fresh: bool,
    ) -> None:
        reader, writer = connection
        while True:
            now = time.perf_counter()
            self.tally.sent += 1
            self.tally.late += now - due > _LATE
            try:
                writer.write(request)
                status = await _answer(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.open -= 1
                writer.close()
                if fresh:
                    self.tally.failed += 1
                    return
                # a kept-alive connection the server closed while it was idle: once more on
                # a new one, as a client's pool does
                self.tally.sent -= 1
                await self.send(due, request, fresh=True)
                return
            self.tally.latencies.append((time.perf_counter() - due) * 1000)
            if 200 <= status < 300:
                self.tally.acknowledged += 1
            else:
                self.tally.refused += 1
            if self.waiting.empty():
                break
            due, request = self.waiting.get_nowait()
            fresh = False
        self.idle.append(connection)


async def _post(port: int, rate: float, seconds: float, cap: int) -> dict[str, Any]:
    services = [(s.id, s.problems[0]) for s in default_catalog()]
    total = int(rate * seconds)
    requests = [_request(i, services) for i in range(total)]  # made before the clock starts
    tally = _Tally()
    poster = _Poster(port, cap, tally)
    sys.stdout.write("started\n")  # the caller times its own load from here
    sys.stdout.flush()
    tasks: set[asyncio.Task[None]] = set()
    start = time.perf_counter()
    i = 0
    while i < total:
        now = time.perf_counter()
        while i < total and start + i / rate <= now:
            task = asyncio.create_task(poster.send(start + i / rate, requests[i]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        await asyncio.sleep(_TICK)
    sending = time.perf_counter() - start
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    while not poster.waiting.empty():
        poster.waiting.get_nowait()
        tally.failed += 1
    done = time.perf_counter() - start
    for _, writer in poster.idle:
        writer.close()
    ordered = sorted(tally.latencies) or [0.0]
    return {
        "asked": rate,
        "sent": tally.sent,
        "acknowledged": tally.acknowledged,
        "refused": tally.refused,
        "failed": tally.failed,
        "late": tally.late,
        "opened": tally.opened,
        "rate": tally.acknowledged / done,  # until the last answer came
        "sent_rate": tally.sent / sending,
        "p50": ordered[len(ordered) // 2],
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--seconds", type=float, default=17)
    parser.add_argument("--connections", type=int, default=512)
    args = parser.parse_args()
    result = uvloop.run(_post(args.port, args.rate, args.seconds, args.connections))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
