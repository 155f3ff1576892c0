"""Comment POSTs per second, beside single-report POSTs through the same app in the same run.

In process through the ASGI interface (no sockets), a temporary SQLite store, each request
from its own network (X-Forwarded-For from a trusted proxy) so the per-network limits never
refuse one; a third of the comments carry a link and are held, the rest are shown and go to
the posts signal. Prints requests per second and mean latency of each.

    .venv/bin/python bench/comments_bench.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from rasd.assembly import embedded
from rasd.clock import VirtualClock
from rasd.settings import Settings
from rasd.shell.app import create_app

NOW = datetime(2021, 10, 4, 16, 0, tzinfo=UTC)
TEXTS = ("messages do not go out since an hour", "الواتس واقف عندي من الصبح", "see spam{i}.example")


def _address(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


async def _run(client: httpx.AsyncClient, requests: int, make: Any) -> tuple[float, float]:
    started = time.perf_counter()
    for i in range(requests):
        method, url, body = make(i)
        response = await client.request(
            method, url, json=body, headers={"X-Forwarded-For": _address(i)}
        )
        assert response.status_code in (201, 202), response.text
    elapsed = time.perf_counter() - started
    return requests / elapsed, elapsed / requests * 1e6


def _comment(i: int) -> tuple[str, str, dict[str, str]]:
    text = TEXTS[i % 3].format(i=i) + f" #{i}"
    return "POST", "/api/v1/services/whatsapp/comments", {"text": text, "country": "EG"}


def _report(i: int) -> tuple[str, str, dict[str, str]]:
    body = {"service": "whatsapp", "problem": "messages", "reporter": f"r{i}", "country": "EG"}
    return "POST", "/api/v1/reports", body


async def main(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            store_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
            trusted_proxies=["127.0.0.1"],
            comments_per_hour=1_000_000,
            offline=True,
        )
        runtime = embedded(settings, clock=VirtualClock(NOW))
        transport = httpx.ASGITransport(app=create_app(runtime), client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://rasd.bench") as client:
            for name, make in (("reports", _report), ("comments", _comment)) * 2:
                rate, mean_us = await _run(client, requests, make)
                print(f"{name:9} {rate:8,.0f}/s  mean {mean_us:7,.0f} µs")
        runtime.store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args().requests))
