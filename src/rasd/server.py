"""Running Rasd: the HTTP server with its background work (detection ticks, retention)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import uvicorn
import uvloop
from fastapi import FastAPI

from rasd.api.app import create_app
from rasd.clock import minute_of
from rasd.detect.engine import DetectionEngine
from rasd.notify.notifier import notifier_of
from rasd.runtime import Runtime

_log = logging.getLogger("rasd.server")


def attach_engine(runtime: Runtime) -> DetectionEngine:
    """The detection engine of this process, reachable from the API for baselines."""
    engine = DetectionEngine(runtime.store, runtime.catalog)
    runtime.extras["engine"] = engine
    return engine


async def detection_loop(runtime: Runtime, engine: DetectionEngine, stop: asyncio.Event) -> None:
    """Tick every minute once it is over (plus a little lag for late reports)."""
    lag = timedelta(seconds=runtime.settings.detect_lag_seconds)
    lock = threading.Lock()

    def due() -> None:
        with lock:
            last_complete = minute_of(runtime.clock.now() - lag) - 1
            start = engine.last_minute + 1 if engine.last_minute is not None else last_complete
            for minute in range(max(start, last_complete - 60), last_complete + 1):
                engine.tick(minute)

    while not stop.is_set():
        try:
            await asyncio.to_thread(due)
        except Exception:
            _log.exception("detection tick failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def retention_loop(runtime: Runtime, stop: asyncio.Event) -> None:
    settings = runtime.settings
    while not stop.is_set():
        try:
            now = minute_of(runtime.clock.now())
            await asyncio.to_thread(
                runtime.store.prune,
                now,
                settings.raw_retention_hours * 60,
                settings.minute_retention_days * 1440,
            )
        except Exception:
            _log.exception("retention failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=600.0)


def run(
    runtime: Runtime,
    *,
    app: FastAPI | None = None,
    ticks: bool = True,
    background: Callable[[asyncio.Event], Any] | None = None,
) -> None:
    """Serve until interrupted. `ticks` runs detection on the clock; a replay ticks itself."""
    engine = runtime.extras.get("engine") or attach_engine(runtime)
    # alerts: queued by the engine's ticks, sent by their own loop below
    notifier = notifier_of(runtime)
    app = app or create_app(runtime)
    settings = runtime.settings
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(retention_loop(runtime, stop)),
            asyncio.create_task(notifier.run(stop)),
        ]
        if ticks:
            tasks.append(asyncio.create_task(detection_loop(runtime, engine, stop)))
        if background is not None:
            tasks.append(asyncio.create_task(background(stop)))
        try:
            await server.serve()
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await notifier.close()
            await runtime.close()

    # uvicorn only installs uvloop itself when it owns the loop; here the server shares it
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
