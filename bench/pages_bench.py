"""Pages and their JSON per second, against a bare ASGI app measured in the same run.

A day of per-minute report counts for every catalog service (and countries, cities and problem
types for the busiest) goes into a temporary SQLite store, with a few open incidents; then each
route is called in process through the ASGI interface, so the figures are the application's own
cost without sockets. Prints requests per second, mean latency and peak memory.

    .venv/bin/python bench/pages_bench.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from rasd.assembly import embedded
from rasd.clock import VirtualClock, minute_of
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.settings import Settings
from rasd.shell.app import create_app

NOW = datetime(2021, 10, 4, 18, 0, tzinfo=UTC)
BUSY = ("facebook", "instagram", "whatsapp", "messenger", "twitter", "telegram")


async def _bare(scope: Any, receive: Any, send: Any) -> None:
    body = b'{"ok":true}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _bare_sized(size: int) -> Any:
    body = b"x" * size

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def _fill(runtime: Any) -> None:
    rng = np.random.default_rng(1)
    end = minute_of(NOW)
    increments: dict[tuple[SeriesKey, int], int] = {}
    for service in runtime.catalog:
        busy = service.id in BUSY
        for minute in range(end - 1440, end):
            n = int(rng.poisson(40 if busy else 2))
            if n:
                increments[(SeriesKey(service.id, REPORTS, WORLD), minute)] = n
            if busy and minute % 5 == 0:
                for region in ("US", "DE", "EG", "US/New York City", "EG/Cairo"):
                    increments[(SeriesKey(service.id, REPORTS, region), minute)] = n // 4 + 1
                for problem in service.problems[:3]:
                    increments[(SeriesKey(service.id, "problem:" + problem), minute)] = n // 3 + 1
    runtime.store.add_counts(increments)
    rows = []
    for i, service in enumerate(BUSY[:4]):
        start = NOW - timedelta(hours=2, minutes=20 - i)
        data = {
            "id": f"{service}-bench",
            "service": service,
            "state": "ongoing",
            "level": 2,
            "max_level": 2,
            "start": start.isoformat(),
            "end": None,
            "detected_at": (start + timedelta(minutes=3)).isoformat(),
            "updated_at": NOW.isoformat(),
            "peak": {"observed": 900.0, "expected": 40.0, "ratio": 22.5, "at": start.isoformat()},
            "severity": {"grade": "critical"},
            "regions": [],
            "relapses": 0,
            "probe_failures": True,
        }
        rows.append(
            {
                "id": data["id"],
                "service": service,
                "state": "ongoing",
                "level": 2,
                "start_ms": int(start.timestamp() * 1000),
                "end_ms": None,
                "updated_ms": int(NOW.timestamp() * 1000),
                "event_id": None,
                "data": data,
            }
        )
    runtime.store.upsert_incidents(rows)


async def _rate(app: Any, path: str, seconds: float, headers: dict[str, str]) -> tuple[float, int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        first = await client.get(path, headers=headers)
        size = len(first.content)
        n = 0
        began = time.perf_counter()
        while time.perf_counter() - began < seconds:
            response = await client.get(path, headers=headers)
            assert response.status_code in (200, 304, 404), (path, response.status_code)
            n += 1
        return n / (time.perf_counter() - began), size


async def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(store_url=f"sqlite:///{Path(tmp) / 'bench.db'}")
        runtime = embedded(settings, clock=VirtualClock(NOW))
        began = time.perf_counter()
        _fill(runtime)
        print(
            f"filled a day of counts for {len(runtime.catalog)} services "
            f"in {time.perf_counter() - began:.1f} s"
        )
        app = create_app(runtime)
        en = {"accept-language": "en"}
        ar = {"accept-language": "ar"}
        base, _ = await _rate(_bare, "/", seconds, {})
        print(f"{'route':44} {'req/s':>9} {'ms/req':>8} {'KiB':>7} {'vs bare':>8}")
        print(f"{'bare ASGI app (baseline)':44} {base:9.0f} {1000 / base:8.2f} {0:7.1f} {1:8.3f}")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            home_tag = (await client.get("/", headers=en)).headers["etag"]
            json_tag = (await client.get("/api/v1/view/services/facebook")).headers["etag"]
        cases = [
            ("GET / (home, English)", "/", en),
            ("GET / (home, Arabic)", "/", ar),
            ("GET / with If-None-Match (304)", "/", {**en, "if-none-match": home_tag}),
            ("GET /services/facebook", "/services/facebook", en),
            ("GET /events/... (404 page)", "/events/none", en),
            ("GET /history", "/history", en),
            ("GET /api/v1/view/home", "/api/v1/view/home", en),
            ("GET /api/v1/view/services/facebook", "/api/v1/view/services/facebook", en),
            (
                "GET /api/v1/view/services/facebook (304)",
                "/api/v1/view/services/facebook",
                {"if-none-match": json_tag},
            ),
            ("GET /api/v1/services", "/api/v1/services", en),
            ("GET /api/v1/services/facebook/series", "/api/v1/services/facebook/series", en),
            ("GET /static/vendor/site.css", "/static/vendor/site.css", en),
        ]
        print(f"{'':44} {'':>9} {'':>8} {'':>7} {'':>8} {'bare, same size':>16} {'ratio':>6}")
        for name, path, headers in cases:
            rate, size = await _rate(app, path, seconds, headers)
            # the fair baseline: a bare app answering with a body of the same size
            same, _ = await _rate(_bare_sized(size), "/", seconds, {})
            print(
                f"{name:44} {rate:9.0f} {1000 / rate:8.2f} {size / 1024:7.1f} {rate / base:8.3f}"
                f" {same:16.0f} {rate / same:6.2f}"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (max RSS): {peak:.0f} MiB")
        runtime.store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time spent on each route")
    asyncio.run(main(parser.parse_args().seconds))
