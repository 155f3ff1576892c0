"""The parts of a cluster under test: API and worker processes, a private PostgreSQL, and the
scenario with its embedded reference run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from bus.natsd import free_port

from rasd.assembly import build_runtime
from rasd.clock import VirtualClock, minute_of
from rasd.cluster.feed import chunks, report_items
from rasd.pipeline.checkpoint import warm_from_store
from rasd.store.base import Store

TOKEN = "cluster-import-token"
BATCH = 400
SHARDS = 4


@dataclass
class World:
    """A small scenario: GitHub's outage, forty minutes of it, a day of history."""

    first: int
    last: int
    history: list[tuple[Any, int, int]]  # (series key, minute, count), non-zero only
    minutes: list[tuple[int, list[dict[str, Any]]]]  # minute -> report items
    history_days: int = 1
    incidents: list[tuple[Any, ...]] = field(default_factory=list)
    counts: dict[Any, dict[int, int]] = field(default_factory=dict)

    @property
    def reports(self) -> int:
        return sum(len(items) for _, items in self.minutes)


def build_world() -> World:
    from rasd.catalog import load_catalog
    from rasd.ingest.places import Places
    from rasd.sim import Simulation, load_scenario

    scenario = load_scenario("small-service").model_copy(
        update={
            "start": datetime(2024, 2, 20, 12, 55, tzinfo=UTC),
            "end": datetime(2024, 2, 20, 13, 35, tzinfo=UTC),
        }
    )
    sim = Simulation(scenario, load_catalog(), Places.default())
    days = 1
    hist = sim.history(days)
    history = []
    for row, key in enumerate(hist.series):
        for j in hist.counts[row].nonzero()[0].tolist():
            history.append((key, hist.start_minute + j, int(hist.counts[row, j])))
    minutes = [(m.minute, report_items(m.reports)) for m in sim.minutes()]
    world = World(
        first=minute_of(scenario.start),
        last=minute_of(scenario.end) - 1,
        history=history,
        minutes=minutes,
        history_days=days,
    )
    _embedded_reference(world)
    return world


def load_history(store: Store, world: World) -> None:
    increments: dict[tuple[Any, int], int] = {}
    for key, minute, n in world.history:
        increments[(key, minute)] = n
    store.add_counts(increments, msg_id="history")


def incidents_of(store: Store) -> list[tuple[Any, ...]]:
    return sorted(
        (i.id, i.service, str(i.state), i.level, i.data["start"], i.data.get("end"))
        for i in store.list_incidents(limit=1000)
    )


def _embedded_reference(world: World) -> None:
    """The same reports through the embedded server's API and counting, ticked each minute."""
    from fastapi.testclient import TestClient

    from rasd.clock import minute_start
    from rasd.settings import Settings
    from rasd.shell.app import create_app

    clock = VirtualClock(minute_start(world.first))
    settings = Settings(
        store_url="sqlite:///:memory:",
        import_tokens=[TOKEN],
        requests_per_second=1e6,
        request_burst=1_000_000,
        import_max_age_days=100_000,
    )
    runtime = build_runtime(settings, clock=clock, engine=True)
    load_history(runtime.store, world)
    engine = runtime.detector()
    warm_from_store(engine, runtime.store, world.first, world.history_days)
    with TestClient(create_app(runtime)) as client:
        for minute, items in world.minutes:
            for i, part in enumerate(chunks(items, BATCH)):
                response = client.post(
                    "/api/v1/reports/batch",
                    content=orjson.dumps(list(part)),
                    headers={
                        "Authorization": f"Bearer {TOKEN}",
                        "Content-Type": "application/json",
                        "Idempotency-Key": f"ref:{minute}:{i}",
                    },
                )
                assert response.status_code == 202, response.text
            clock.set(minute_start(minute + 1))
            engine.tick(minute)
    world.incidents = incidents_of(runtime.store)
    world.counts = runtime.store.read_minutes(world.first, world.last + 1)
    runtime.store.close()


# -- processes ---------------------------------------------------------------------------------


class Processes:
    """API and worker subprocesses of one cluster, with their logs in a temp directory."""

    def __init__(self, store_url: str, nats_url: str, stream: str, history_days: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="rasd-cluster-"))
        # the code under test, wherever the process starts (a relative path in PYTHONPATH
        # would name nothing in the temp directory, and the installed package would run)
        here = str(Path(__file__).resolve().parents[2] / "src")
        path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)
        self.env = {
            **os.environ,
            "PYTHONPATH": path,
            "RASD_STORE_URL": store_url,
            "RASD_NATS_URL": nats_url,
            "RASD_STREAM": stream,
            "RASD_SHARDS": str(SHARDS),
            "RASD_MINUTE_MARKS": "external",
            "RASD_LEASE_SECONDS": "3",
            "RASD_ACK_WAIT_SECONDS": "5",
            # groups still gather between fetches, without each hop of a mark waiting a second
            "RASD_GATHER_SECONDS": "0.05",
            "RASD_PUBLISH_TIMEOUT_SECONDS": "2",
            "RASD_IMPORT_TOKENS": f'["{TOKEN}"]',
            "RASD_IMPORT_MAX_AGE_DAYS": "100000",
            "RASD_REQUESTS_PER_SECOND": "1000000",
            "RASD_REQUEST_BURST": "1000000",
            "RASD_HISTORY_DAYS": str(history_days),
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        out = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 - the process owns it
        proc = subprocess.Popen(
            [sys.executable, "-m", "rasd.cli", *args],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
        )
        out.close()
        self.procs[name] = proc
        return proc

    def api(self, name: str) -> str:
        port = free_port()
        self.ports[name] = port
        self._spawn(name, ["serve", "--cluster", "--port", str(port)])
        return f"http://127.0.0.1:{port}"

    def worker(self, name: str) -> None:
        self._spawn(name, ["worker", "--name", name])

    def wait_ready(self, seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        for name, port in self.ports.items():
            while True:
                self.check_alive()
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start:\n{self.logs()}")
                time.sleep(0.3)

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.logs()}")

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.dir.glob("*.log"))
        )

    def close(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.procs.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- a PostgreSQL of our own -----------------------------------------------------------------------


class PrivatePostgres:
    """initdb in a temp directory, on a free port, run as the postgres user; may be restarted."""

    def __init__(self) -> None:
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="rasd-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self._as_postgres(
            [str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]
        )

    @property
    def admin(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres connect_timeout=3"

    def _as_postgres(self, args: list[str]) -> None:
        # no pipes: the server pg_ctl starts would hold them open, and we would wait for ever
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> PrivatePostgres:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200"
        )
        log = str(self.dir / "server.log")
        self._as_postgres(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                log,
                "-o",
                options,
                "-w",
                "start",
            ]
        )
        psycopg.connect(self.admin).close()
        return self

    def stop(self) -> None:
        self._as_postgres(
            [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]
        )

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
