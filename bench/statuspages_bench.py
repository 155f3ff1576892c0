"""Status pages: 5,000 configured pages read by one process, against local servers.

    .venv/bin/python bench/statuspages_bench.py [--pages 5000] [--seconds 60]

A local server in its own process serves every page in Statuspage's summary.json shape,
with an ETag (so unchanged pages answer 304, as well-run pages do), and on a control path
puts a new incident on one page. The status-page source reads all of them as it would in
`rasd serve` while an event is open on every one (once a minute: the most it reads), into a
real official board over a SQLite file. Figures: pages read a minute, the process's CPU
share and memory, and the delay from a statement appearing on a page to its entry in the
timeline. The baseline, in the same run: bare GETs of the same pages at the same
concurrency (no parsing, no board, no schedule).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from rasd.clock import SystemClock
from rasd.probe.reach import Reach
from rasd.signals.official import OfficialBoard
from rasd.sources.status.fetch import PageFetcher
from rasd.sources.status.poller import Page, StatusPageSource
from rasd.store import open_store

_QUIET = {
    "page": {"id": "p", "name": "Page", "url": "https://status.example", "time_zone": "Etc/UTC",
             "updated_at": "2026-12-01T00:00:00Z"},
    "status": {"indicator": "none", "description": "All Systems Operational"},
    "components": [{"id": f"c{i}", "name": f"Component {i}", "status": "operational",
                    "group": False, "group_id": None} for i in range(8)],
    "incidents": [],
    "scheduled_maintenances": [],
}  # fmt: skip


def _incident(n: int) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        **_QUIET,
        "status": {"indicator": "minor", "description": "Minor Service Outage"},
        "incidents": [
            {"id": f"inc{n}", "name": "Elevated errors", "status": "investigating",
             "impact": "minor", "shortlink": None, "created_at": now,
             "incident_updates": [{"id": f"upd{n}", "status": "investigating",
                                   "body": "We are investigating.", "created_at": now,
                                   "display_at": now, "affected_components": None}]}
        ],
    }  # fmt: skip


def _serve(port_out: Any, pages: int) -> None:
    """The local pages, in a process of their own so their work is not the reader's."""
    quiet = json.dumps(_QUIET).encode()
    bodies: dict[int, tuple[bytes, str]] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *rest = head.decode("latin-1").split("\r\n")
                path = line.split(" ")[1]
                etag_in = next(
                    (h.split(":", 1)[1].strip() for h in rest
                     if h.lower().startswith("if-none-match:")), None,
                )  # fmt: skip
                parts = path.strip("/").split("/")
                if parts[0] == "flip":
                    n = int(parts[1])
                    bodies[n] = (json.dumps(_incident(n)).encode(), f'"i{n}"')
                    out, status, etag = b"{}", 200, '"x"'
                else:
                    n = int(parts[0][1:])
                    out, etag = bodies.get(n, (quiet, '"q"'))
                    status = 304 if etag_in == etag else 200
                    if status == 304:
                        out = b""
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nETag: {etag}\r\n"
                    f"Content-Length: {len(out)}\r\n\r\n".encode()
                    + out
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_out.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _bare(base: str, pages: int, seconds: float, concurrency: int) -> float:
    """Reads a minute of plain GETs over the same pages: the floor of the work itself."""
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=concurrency), trust_env=False
    ) as client:
        done = 0
        stop = time.monotonic() + seconds

        async def worker(k: int) -> None:
            nonlocal done
            n = k
            while time.monotonic() < stop:
                r = await client.get(f"{base}/p{n % pages}/api/v2/summary.json")
                r.raise_for_status()
                done += 1
                n += concurrency

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return done * 60.0 / seconds


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    recv, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=_serve, args=(send, args.pages), daemon=True)
    server.start()
    port = recv.recv()
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"pages": args.pages}
    try:
        out["bare_reads_per_minute"] = await _bare(base, args.pages, 20.0, args.concurrency)
        rss_before = _rss_mb()
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
            store.migrate()
            board = OfficialBoard(store, SystemClock())
            pages = [
                Page(
                    "statuspage",
                    f"{base}/p{n}/",
                    f"{base}/p{n}/api/v2/summary.json",
                    [(f"svc{n}", ())],
                )  # fmt: skip
                for n in range(args.pages)
            ]
            fetcher = PageFetcher(Reach(offline=True), user_agent="Rasd/bench",
                                  connections=args.concurrency)  # fmt: skip
            source = StatusPageSource(
                pages, board, fetcher, interval=60.0, hot_interval=60.0,
                concurrency=args.concurrency, seed=1, spread=60.0,
            )  # fmt: skip
            stop = asyncio.Event()
            task = asyncio.create_task(source.run(stop))
            await asyncio.sleep(65.0)  # every page read once (unconditionally), the schedule set
            out["rss_mb"] = round(_rss_mb(), 1)
            out["rss_added_mb"] = round(_rss_mb() - rss_before, 1)
            seen0, cpu0, wall0 = (
                source.status().totals["seen"],
                time.process_time(),
                time.monotonic(),
            )
            delays: list[float] = []
            flips = max(1, int(args.seconds // 6))

            async def flip(k: int, control: httpx.AsyncClient) -> None:
                # statements spread over the measured minute, each timed on its own
                await asyncio.sleep(args.seconds * k / flips)
                n = (k * 7919) % args.pages
                said = time.monotonic()
                await control.get(f"{base}/flip/{n}")
                while not await asyncio.to_thread(board.updates, f"svc{n}", limit=1):
                    await asyncio.sleep(0.05)
                delays.append(time.monotonic() - said)

            async with httpx.AsyncClient(trust_env=False) as control:
                await asyncio.gather(*(flip(k, control) for k in range(flips)))
                left = wall0 + args.seconds - time.monotonic()
                if left > 0:
                    await asyncio.sleep(left)
            wall = time.monotonic() - wall0
            cpu = time.process_time() - cpu0
            reads = source.status().totals["seen"] - seen0
            stop.set()
            await task
            await fetcher.close()
            store.close()
        out["reads_per_minute"] = round(reads * 60.0 / wall)
        out["not_modified"] = source.not_modified
        out["cpu_share"] = round(cpu / wall, 3)
        out["delay_median_s"] = round(statistics.median(delays), 1)
        out["delay_max_s"] = round(max(delays), 1)
        out["flips"] = len(delays)
        out["bare_reads_per_minute"] = round(out["bare_reads_per_minute"])
    finally:
        server.terminate()
        server.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    print(f"pid {os.getpid()}, {args.pages} pages, concurrency {args.concurrency}")
    result = asyncio.run(_run(args))
    interval_min = 1.0
    demand = args.pages / interval_min
    print(f"reads a minute: {result['reads_per_minute']:,} (demand {demand:,.0f}: every page "
          f"once a minute); 304s over the run {result['not_modified']:,}")  # fmt: skip
    print(f"baseline, bare GETs at the same concurrency: {result['bare_reads_per_minute']:,}"
          " a minute")  # fmt: skip
    print(f"CPU share of one core: {result['cpu_share']:.1%}; RSS {result['rss_mb']} MB "
          f"(+{result['rss_added_mb']} MB for the pages and their reads)")  # fmt: skip
    print(f"statement on a page -> timeline: median {result['delay_median_s']} s, "
          f"max {result['delay_max_s']} s over {result['flips']} statements "
          "(pages read once a minute)")  # fmt: skip


if __name__ == "__main__":
    main()
