"""Running Rasd: the HTTP server with its background work (detection ticks, retention)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import uvicorn
import uvloop
from fastapi import FastAPI

from rasd.api import live
from rasd.api.comments import book_of
from rasd.api.connections import guarded_protocol
from rasd.clock import minute_of
from rasd.notify.notifier import notifier_of
from rasd.pipeline.checkpoint import dump_engine, load_engine
from rasd.pipeline.engine import DetectionEngine
from rasd.runtime import Runtime
from rasd.shell.app import create_app
from rasd.shell.forwarded import served
from rasd.signals.sample import runtime_sample

_log = logging.getLogger("rasd.server")
ENGINE_STATE_KEY = "engine:embedded"
# the bank of a large catalog is tens of MB; minutes missed since are caught up from the store
_CHECKPOINT_SECONDS = 300.0


def restore_engine(runtime: Runtime, engine: DetectionEngine) -> bool:
    """Go on from the state the last run saved: open incidents stay the same incidents."""
    blob = runtime.store.get_state(ENGINE_STATE_KEY)
    if blob is None:
        return False
    try:
        load_engine(engine, blob)
    except Exception:  # an older or damaged state must not keep the server from starting
        _log.exception("the saved detection state could not be read; detection starts afresh")
        return False
    _log.info("detection resumes after minute %s", engine.last_minute)
    return True


def checkpoint_engine(runtime: Runtime, engine: DetectionEngine) -> None:
    if engine.last_minute is not None:
        runtime.store.put_state(ENGINE_STATE_KEY, dump_engine(engine))


async def detection_loop(
    runtime: Runtime,
    engine: DetectionEngine,
    stop: asyncio.Event,
    lock: threading.Lock | None = None,
) -> None:
    """Tick every minute once it is over (plus a little lag for late reports), and save the
    engine's state now and then so a restart goes on where it stopped."""
    lag = timedelta(seconds=runtime.settings.detect_lag_seconds)
    lock = lock or threading.Lock()
    saved_at = time.monotonic()

    def due() -> None:
        nonlocal saved_at
        with lock:
            last_complete = minute_of(runtime.clock.now() - lag) - 1
            start = engine.last_minute + 1 if engine.last_minute is not None else last_complete
            for minute in range(max(start, last_complete - 60), last_complete + 1):
                engine.tick(minute)
            if time.monotonic() - saved_at > _CHECKPOINT_SECONDS:
                checkpoint_engine(runtime, engine)
                saved_at = time.monotonic()

    while not stop.is_set():
        try:
            await asyncio.to_thread(due)
        except Exception:
            _log.exception("detection tick failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


def prune(runtime: Runtime) -> dict[str, int]:
    """One round of retention, on the runtime's clock: raw reports and minute counts (rolled
    into hourly ones) in the store, the sample of posts, comments. How many posts and comments
    went."""
    settings = runtime.settings
    runtime.store.prune(
        minute_of(runtime.clock.now()),
        settings.raw_retention_hours * 60,
        settings.minute_retention_days * 1440,
    )
    return {
        "posts": runtime_sample(runtime).prune(),
        "comments": book_of(runtime).prune(settings.comment_retention_days),
    }


async def retention_loop(runtime: Runtime, stop: asyncio.Event) -> None:
    """`prune` in a thread every `retention_interval_seconds`, from the start."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(prune, runtime)
        except Exception:
            _log.exception("retention failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=runtime.settings.retention_interval_seconds)


_YOUNG = 20_000  # tracked allocations, net, between collections of the youngest generation


def settle_heap() -> None:
    """Keep what start-up made (the catalog, places, matchers: hundreds of thousands of
    objects that live as long as the process) out of the collector's full passes, which
    otherwise stop the event loop for tens or hundreds of milliseconds now and then.

    And collect the young less often: a request allocates a few hundred tracked objects that
    die with it, so at the default threshold (700) the count crosses it many times a second
    for no garbage, and each pass rescans what survived. Under the crowd bench (2,000
    reports/s, 200 readers) the event loop spent 5.1 s of a 45 s run in 4,170 collections;
    at 20,000 it spent 0.5 s in 8."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(_YOUNG, 50, 50)


class _Server(uvicorn.Server):
    """uvicorn raises the stop signal again once it has stopped, which ends the process
    before a caller's own clean-up after `serve()`: ours runs as part of the shutdown."""

    def __init__(
        self, config: uvicorn.Config, close: Callable[[], Awaitable[None]], runtime: Runtime
    ) -> None:
        super().__init__(config)
        self._close = close
        self._runtime = runtime

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn waits for open responses: live streams are ended first, not waited for
        live.end_streams(self._runtime)
        await super().shutdown(sockets)
        await self._close()


def _last_checkpoint(runtime: Runtime, engine: DetectionEngine, lock: threading.Lock) -> None:
    with lock:  # a tick cancelled on its way out may still be running in its thread
        try:
            checkpoint_engine(runtime, engine)
        except Exception:
            _log.exception("the detection state could not be saved")


def run(
    runtime: Runtime,
    *,
    app: FastAPI | None = None,
    ticks: bool = True,
    background: Callable[[asyncio.Event], Any] | None = None,
) -> None:
    """Serve until interrupted. `ticks` runs detection on the clock; a replay ticks itself."""
    engine = runtime.detector()  # embedded and a cluster's API both have one
    # cities by name are made on first use: here, before a report naming one waits for them
    runtime.places.index_names()
    detecting = threading.Lock()
    if ticks:
        restore_engine(runtime, engine)
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
        http=guarded_protocol(settings.head_timeout_seconds, settings.body_idle_seconds),
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # read below as uvicorn reads them, the common case for less
    )
    # only the proxies the settings name, not uvicorn's own default of 127.0.0.1: on a machine
    # with no proxy, a local program could otherwise post as any address it liked
    config.app = served(app, settings.trusted_proxies)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = []
    closed = False

    async def close() -> None:
        nonlocal closed
        if closed:
            return
        closed = True
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if ticks:
            await asyncio.to_thread(_last_checkpoint, runtime, engine, detecting)
        await notifier.close()
        await runtime.close()

    server = _Server(config, close, runtime)

    async def main() -> None:
        tasks.append(asyncio.create_task(retention_loop(runtime, stop)))
        tasks.append(asyncio.create_task(notifier.run(stop)))
        if ticks:
            tasks.append(asyncio.create_task(detection_loop(runtime, engine, stop, detecting)))
        if len(runtime.sources):
            tasks.append(asyncio.create_task(runtime.sources.run(stop)))
        if background is not None:
            tasks.append(asyncio.create_task(background(stop)))
        try:
            await server.serve()
        finally:
            await close()

    settle_heap()
    # uvicorn only installs uvloop itself when it owns the loop; here the server shares it
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
