"""A real Rasd server on 127.0.0.1 in a thread: a temp SQLite store, a virtual clock, an engine
that learnt two quiet days, and helpers that make an incident open the way reports do."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import uvicorn
from tests_support import crowd_address

from rasd.assembly import embedded
from rasd.clock import VirtualClock, minute_of
from rasd.runtime import Runtime
from rasd.series import REPORTS, SeriesKey
from rasd.settings import Settings
from rasd.shell.app import create_app

START = datetime(2021, 10, 4, 15, 0, tzinfo=UTC)
TOKEN = "import-token-for-web-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, runtime: Runtime, clock: VirtualClock, port: int) -> None:
        self.runtime = runtime
        self.clock = clock
        self.base = f"http://127.0.0.1:{port}"
        self.http = httpx.Client(base_url=self.base, timeout=10)

    @property
    def engine(self) -> Any:
        return self.runtime.detector()

    def burst(self, service: str, per_minute: int, minutes: int, tag: str) -> list[str]:
        """Reports from many people for some minutes, each minute ticked: returns changes."""
        kinds: list[str] = []
        for minute in range(minutes):
            at = self.clock.now()
            items = [
                {
                    "service": service,
                    "problem": "messages",
                    "reporter": f"{tag}-{minute}-{i}",
                    "country": "EG",
                    "ts": (at + timedelta(seconds=1)).isoformat(),
                    "ip": crowd_address(minute * per_minute + i),
                }
                for i in range(per_minute)
            ]
            response = self.http.post(
                "/api/v1/reports/batch",
                json=items,
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert response.status_code == 202, response.text
            self.clock.advance(timedelta(minutes=1))
            kinds.extend(str(c.kind) for c in self.engine.tick(minute_of(at)))
        return kinds


@contextmanager
def live_server(tmp: Path, **extra: Any) -> Iterator[LiveServer]:
    clock = VirtualClock(START)
    settings = Settings(
        store_url=f"sqlite:///{tmp / 'web.db'}",
        import_tokens=[TOKEN],
        requests_per_second=1000,
        request_burst=10_000,
        **extra,
    )
    runtime = embedded(settings, clock=clock)
    engine = runtime.detector()
    keys = [SeriesKey(s.id, REPORTS) for s in runtime.catalog]
    days = 2
    counts = np.random.default_rng(7).poisson(1.0, size=(len(keys), days * 1440))
    engine.warm(minute_of(START) - days * 1440, keys, counts)
    port = free_port()
    config = uvicorn.Config(
        create_app(runtime),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    live = LiveServer(runtime, clock, port)
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    try:
        yield live
    finally:
        live.http.close()
        server.should_exit = True
        thread.join(timeout=10)
        runtime.store.close()
