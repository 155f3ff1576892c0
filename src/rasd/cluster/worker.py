"""The worker: takes a fair share of the shards and counts them; one worker also detects.

Every few seconds a worker renews its presence and its leases, works out its fair share of the
shards (all shards over the live workers, rounded up), lets go of shards beyond it and takes
free ones up to it. Each shard it holds runs a ShardRunner; the holder of the `detector` lease
runs the DetectorRunner too. A runner that fails is started again from the durable state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import socket
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from rasd.assembly import detection_engine
from rasd.assembly import worker as worker_process
from rasd.bus.codec import shard_of
from rasd.bus.nats import JetStreamLog
from rasd.clock import Clock, SystemClock
from rasd.cluster.detector import DetectorRunner
from rasd.cluster.lease import UNSURE, Leases
from rasd.cluster.shard import ShardRunner
from rasd.counting.aggregator import Aggregator
from rasd.errors import RasdError
from rasd.runtime import Runtime
from rasd.settings import Settings

_log = logging.getLogger("rasd.cluster.worker")

DETECTOR = "detector"
_RETRY_S = 1.0


def shard_lease(shard: int) -> str:
    return f"shard.{shard}"


@dataclass
class _Running:
    task: asyncio.Task[None]
    stop: asyncio.Event
    runner: Any


@dataclass
class WorkerStatus:
    name: str
    shards: list[int] = field(default_factory=list)
    detecting: bool = False
    restarts: int = 0


class Worker:
    def __init__(self, settings: Settings, *, runtime: Runtime | None = None) -> None:
        if not settings.cluster:
            settings = settings.model_copy(update={"cluster": True})
        self.settings = settings
        base = settings.worker_name or f"{socket.gethostname()}-{os.getpid()}"
        self.name = re.sub(r"[^-_A-Za-z0-9]", "-", base)
        self.log = JetStreamLog.from_settings(settings, name=f"rasd-worker-{self.name}")
        # a runtime given (tests) brings its clock; else the worker counts on the system's
        self.clock: Clock = runtime.clock if runtime is not None else SystemClock()
        self.runtime, self._counting = worker_process(settings, self.log, runtime=runtime)
        self.status = WorkerStatus(self.name)
        self._running: dict[str, _Running] = {}
        self._failures: dict[str, float] = {}

    # -- the loop --------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        ttl = self.settings.lease_seconds
        kv = await self.log.key_value(ttl)
        await self._check_shape(kv)
        # a fresh holder id per run: a restarted worker must not mistake its old leases for its own
        leases = Leases(kv, f"{self.name}/{uuid.uuid4().hex[:8]}", ttl)
        try:
            while not stop.is_set():
                try:
                    await self._round(leases)
                except UNSURE as exc:
                    # NATS away or restarting: the leases we cannot renew lapse by themselves
                    # (every step checks them), and the next round tries again
                    _log.warning("a round of leases failed, trying again: %s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=ttl / 4)
        finally:
            for name in list(self._running):
                await self._stop(name)
            for name in leases.names():
                await leases.release(name)
            await self.runtime.close()

    async def _check_shape(self, kv: Any) -> None:
        import nats.js.errors

        wanted = str(self.settings.shards).encode()
        try:
            await kv.create("shards", wanted)
        except nats.js.errors.KeyWrongLastSequenceError:
            pass
        # the shape key expires with the bucket's TTL like any other; renewed by every worker
        entry = await kv.get("shards")
        if entry.value != wanted:
            raise RasdError(
                f"this worker has {self.settings.shards} shards but the cluster has "
                f"{entry.value!r}: every process of a cluster needs the same `shards`"
            )
        await kv.put("shards", wanted)

    async def _round(self, leases: Leases) -> None:
        await leases.hold(f"worker.{self.name}")
        await self._check_shape(leases.kv)
        alive = max(1, len(await leases.others("worker.")))
        share = math.ceil(self.settings.shards / alive)
        held = [s for s in range(self.settings.shards) if leases.held(shard_lease(s))]
        for shard in held:
            await leases.hold(shard_lease(shard))
        held = [s for s in held if leases.held(shard_lease(s))]
        for shard in held[share:]:
            # beyond the fair share: hand it over, stopping first so nobody counts it twice
            await self._stop(shard_lease(shard))
            await leases.release(shard_lease(shard))
        held = held[:share]
        for shard in self._order():
            if len(held) >= share:
                break
            if shard not in held and await leases.hold(shard_lease(shard)):
                held.append(shard)
        await leases.hold(DETECTOR)
        wanted = [shard_lease(s) for s in sorted(held)]
        if leases.held(DETECTOR):
            wanted.append(DETECTOR)
        for name in list(self._running):
            if name not in wanted:
                await self._stop(name)
        for name in wanted:
            self._ensure(name, leases)
        self.status.shards = sorted(held)
        self.status.detecting = DETECTOR in self._running

    def _order(self) -> list[int]:
        # each worker tries free shards from its own place, so two newcomers rarely collide
        n = self.settings.shards
        start = int(uuid.uuid5(uuid.NAMESPACE_DNS, self.name).int % n)
        return [(start + i) % n for i in range(n)]

    # -- runners -----------------------------------------------------------------------------------
    def _ensure(self, name: str, leases: Leases) -> None:
        running = self._running.get(name)
        if running is not None and not running.task.done():
            return
        if running is not None:
            self._running.pop(name)
            error = running.task.exception() if not running.task.cancelled() else None
            if error is not None:
                _log.warning("%s stopped on %r; starting again", name, error)
                self.status.restarts += 1
                self._failures[name] = asyncio.get_running_loop().time()
        failed_at = self._failures.get(name)
        if failed_at is not None and asyncio.get_running_loop().time() - failed_at < _RETRY_S:
            return
        stop = asyncio.Event()
        runner = self._runner(name, leases)
        task = asyncio.create_task(_guarded(runner.run(stop)), name=f"rasd-{name}")
        self._running[name] = _Running(task, stop, runner)

    def _runner(self, name: str, leases: Leases) -> Any:
        settings = self.settings

        def owned() -> bool:
            return leases.held(name)

        if name == DETECTOR:
            return DetectorRunner(
                detection_engine(self.runtime),
                self.log,
                self.runtime.store,
                self.clock,
                owned=owned,
                marks_from_clock=settings.minute_marks == "clock",
                lag_s=settings.detect_lag_seconds,
                history_days=settings.history_days,
            )
        return ShardRunner(
            int(name.split(".", 1)[1]),
            self.log,
            self.runtime.store,
            self._aggregator,
            owned=owned,
            live_clock=settings.minute_marks == "clock",
            batch=settings.fetch_batch,
            ack_wait_s=settings.ack_wait_seconds,
            gather_s=settings.gather_seconds,
        )

    def _aggregator(self, clock: Clock, shard: int) -> Aggregator:
        shards = self.settings.shards
        return Aggregator(
            self.runtime.store,
            clock,
            reports=self._counting.reports(),
            counters=self._counting.counters,
            shard=shard,
            owns=lambda service: shard_of(service, shards) == shard,
        )

    async def _stop(self, name: str) -> None:
        running = self._running.pop(name, None)
        if running is None:
            return
        running.stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(running.task), timeout=30)
        except TimeoutError:
            running.task.cancel()
        except Exception:  # noqa: BLE001 - its failure was logged by the guard
            pass


async def _guarded(work: Coroutine[Any, Any, None]) -> None:
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:
        _log.exception("runner failed")
        raise


def serve_worker(settings: Settings, *, on_ready: Callable[[Worker], None] | None = None) -> None:
    """Runs a worker until SIGINT or SIGTERM."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        worker = Worker(settings)
        if on_ready is not None:
            on_ready(worker)
        await worker.run(stop)

    asyncio.run(main())
