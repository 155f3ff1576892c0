"""Faults under load, one table: what was acknowledged, what was stored, what was counted twice,
and how long the service took to come back.

Rows: kill -9 of `rasd serve` (SQLite) under 32 concurrent report clients, several rounds;
kill -9 of a cluster worker, of nats-server and of PostgreSQL under cluster load; a full disk
(a small tmpfs when run as root, else SQLite's page limit); slowloris connections and
oversized or malformed bodies beside normal clients (their p99 with and without); a flood
from one /24 and from one reporter (with the same volume from many networks as the control,
which must open an incident); schemathesis, every phase, stateful included.

Every server, database and nats-server is this run's own (PostgreSQL and nats-server are
started from their binaries in a temporary directory, on free ports), so killing them touches
nothing else. Clients send each report under an Idempotency-Key and send it again until it is
acknowledged; a report is lost if it was acknowledged and is not stored, counted twice if it
is stored twice.

    .venv/bin/python bench/faults.py [--only serve,cluster,disk,slow,flood,contract] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from rasd.signals.reports import batch_rows, key_hash
from rasd.store import open_store

TOKEN = "faults-import-token"
CLIENTS = 32
COUNTRIES = ["US", "DE", "NL", "EG", "SA", "AE", "FR", "GB", "MA", "IQ"]
SERVICES = [("facebook", "app"), ("instagram", "app"), ("whatsapp", "messages")]


@dataclass
class Row:
    fault: str
    load: str
    acknowledged: int | None = None
    stored: int | None = None
    lost: int | None = None
    doubles: int | None = None
    recover: str = "-"
    notes: str = ""
    green: bool = False


# -- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


class Rasd:
    """One `rasd serve` or `rasd worker` of this run, restartable with the same settings."""

    def __init__(self, folder: Path, env: dict[str, str], *args: str) -> None:
        self.folder = folder
        # the code beside this file, wherever the process starts
        here = str(Path(__file__).resolve().parents[1] / "src")
        path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)
        self.env = {**os.environ, "RASD_OFFLINE": "true", "PYTHONPATH": path, **env}
        self.args = args
        self.port = free_port() if args[0] == "serve" else 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        extra = ("--port", str(self.port)) if self.port else ()
        name = "-".join(self.args[:3]).replace("/", "_")
        with open(self.folder / f"{name}-{self.port}.log", "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "rasd.cli", *self.args, *extra],
                env=self.env,
                cwd=self.folder,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if wait and self.port:
            self.wait_healthy()

    def wait_healthy(self, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.args} exited with {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.args} did not answer")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Nats:
    """A nats-server with JetStream of this run: its own port and storage folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "nats"
        self.folder.mkdir()
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("nats-server") or "nats-server"
        args = [binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.folder)]
        with open(self.folder.parent / "nats.log", "ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


class Postgres:
    """A PostgreSQL cluster of this run (initdb in a temporary folder, its own port), run as
    the `postgres` user when this process is root, since the server refuses to run as root."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "pg"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        bindir = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        self.bin = Path(bindir)
        self.user: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.folder.mkdir()
        if self.user:
            shutil.chown(self.folder, "postgres", "postgres")
            os.chmod(folder, 0o755)
        self._run(str(self.bin / "initdb"), "-D", str(self.folder), "-A", "trust", "-U",
                  "postgres", "--no-sync")  # fmt: skip

    def _run(self, *args: str) -> None:
        subprocess.run([*self.user, *args], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        log = str(self.folder / "server.log")
        deadline = time.monotonic() + 60
        while True:
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder), "-o", options,
                          "-l", log, "-w", "start")  # fmt: skip
                return
            except subprocess.CalledProcessError:
                # after a kill -9 the old backends may hold the shared memory a moment longer
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def kill9(self) -> None:
        pid = int((self.folder / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder), "-m", "fast", "stop")


# -- load ------------------------------------------------------------------------------------


@dataclass
class Load:
    """Report clients that send each request under one Idempotency-Key until it is answered
    202: `acked` holds the reporter keys of every acknowledged report."""

    urls: list[str]
    clients: int = CLIENTS
    batch: int = 1
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    acked: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    ack_times: list[float] = field(default_factory=list)
    sent_after: list[float] = field(default_factory=list)  # when each acknowledged try started
    stopping: bool = False

    def body(self, w: int, i: int) -> tuple[str, bytes, list[str]]:
        keys = [f"{self.prefix}-{w}-{i}-{j}" for j in range(self.batch)]
        items = []
        for j, key in enumerate(keys):
            service, problem = SERVICES[(w + i + j) % len(SERVICES)]
            country = COUNTRIES[(i + j) % len(COUNTRIES)]
            items.append({"service": service, "problem": problem, "reporter": key,
                          "country": country})  # fmt: skip
        if self.batch == 1:
            return "/api/v1/reports", orjson.dumps(items[0]), keys
        return "/api/v1/reports/batch", orjson.dumps(items), keys

    async def client(self, w: int) -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(timeout=10, limits=limits, trust_env=False) as http:
            i = 0
            while not self.stopping:
                path, body, keys = self.body(w, i)
                headers = {
                    "Content-Type": "application/json",
                    "Idempotency-Key": keys[0],
                    "X-Forwarded-For": f"10.{w}.{(i // 250) % 250}.{1 + i % 250}",
                }
                url = self.urls[(w + i) % len(self.urls)]
                while True:
                    began = time.monotonic()
                    try:
                        r = await http.post(url + path, content=body, headers=headers)
                        self.statuses[str(r.status_code)] += 1
                        if r.status_code == 202:
                            now = time.monotonic()
                            self.latencies.append(now - began)
                            self.ack_times.append(now)
                            self.sent_after.append(began)
                            self.acked.extend(keys)
                            break
                    except httpx.HTTPError as exc:
                        self.statuses[type(exc).__name__] += 1
                    # a write not acknowledged is sent again, the same, until it is; a client
                    # stopped meanwhile gives it up (it was never acknowledged)
                    if self.stopping:
                        return
                    await asyncio.sleep(0.05)
                i += 1

    def run_in_thread(self) -> threading.Thread:
        async def all_clients() -> None:
            await asyncio.gather(*(self.client(w) for w in range(self.clients)))

        thread = threading.Thread(target=lambda: asyncio.run(all_clients()), daemon=True)
        thread.start()
        return thread

    def first_ack_sent_after(self, moment: float) -> float | None:
        """When the first request that began after `moment` was acknowledged."""
        found = [a for a, s in zip(self.ack_times, self.sent_after, strict=False) if s > moment]
        return min(found) if found else None

    def wait_ack_after(self, moment: float, seconds: float) -> float | None:
        _wait_for(lambda: self.first_ack_sent_after(moment) is not None, seconds)
        return self.first_ack_sent_after(moment)

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code.startswith("5") and code != "503")


def _signed(h: int) -> int:
    return h - (1 << 64) if h >= 1 << 63 else h


def tally(store_url: str, acked: list[str]) -> tuple[int, int, int]:
    """Stored, lost (acknowledged, not stored) and counted twice (stored more than once)."""
    store = open_store(store_url)
    try:
        held: Counter[int] = Counter()
        for batch in store.recent_batches(0):
            held.update(r.reporter for r in batch_rows(batch))
    finally:
        store.close()
    stored = sum(held.values())
    lost = sum(1 for key in acked if _signed(key_hash(key)) not in held)
    doubles = sum(n - 1 for n in held.values() if n > 1)
    return stored, lost, doubles


def _wait_for(ok: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if ok():
                return True
        time.sleep(0.2)
    return False


EMBEDDED_ENV = {
    "RASD_IMPORT_TOKENS": f'["{TOKEN}"]',
    "RASD_REQUESTS_PER_SECOND": "1000000",
    "RASD_REQUEST_BURST": "1000000",
    # the clients name an address per request, as a proxy in front would
    "RASD_TRUSTED_PROXIES": '["127.0.0.1"]',
}


# -- rows ------------------------------------------------------------------------------------


def serve_kill(folder: Path, rounds: int) -> Row:
    url = f"sqlite:///{folder / 'serve.db'}"
    server = Rasd(folder, {**EMBEDDED_ENV, "RASD_STORE_URL": url}, "serve")
    server.start()
    load = Load([server.url])
    thread = load.run_in_thread()
    recovered: list[float] = []
    loads: list[str] = []
    try:
        for _ in range(rounds):
            time.sleep(4)
            loads.append(loadavg())
            server.kill9()
            killed = time.monotonic()
            server.start(wait=False)
            back = load.wait_ack_after(killed, 120)
            recovered.append((back or float("nan")) - killed)
        time.sleep(2)
    finally:
        load.stopping = True
        thread.join(30)
        server.stop()
    stored, lost, doubles = tally(url, load.acked)
    return Row(
        f"kill -9 rasd serve (SQLite), {rounds} rounds",
        f"{CLIENTS} clients, single POSTs; load {'/'.join(loads)}",
        len(load.acked), stored, lost, doubles,
        f"{max(recovered):.1f} s (worst)",
        f"5xx other than 503: {load.server_errors}",
        green=lost == 0 and doubles == 0 and load.server_errors == 0,
    )  # fmt: skip


def cluster_faults(folder: Path) -> list[Row]:
    nats = Nats(folder)
    nats.start()
    pg = Postgres(folder)
    pg.start()
    store_url = pg.url
    stream = f"FAULTS{uuid.uuid4().hex[:6].upper()}"
    env = {
        **EMBEDDED_ENV,
        "RASD_STORE_URL": store_url,
        "RASD_NATS_URL": nats.url,
        "RASD_STREAM": stream,
        "RASD_SHARDS": "4",
        "RASD_LEASE_SECONDS": "4",
    }
    store = open_store(store_url)
    store.migrate()
    store.close()
    workers = [Rasd(folder, env, "worker", "--name", f"w{i}") for i in range(2)]
    apis = [Rasd(folder, env, "serve", "--cluster") for _ in range(2)]
    rows: list[Row] = []
    try:
        for w in workers:
            w.start()
        for a in apis:
            a.start()

        def stored_count() -> int:
            s = open_store(store_url)
            try:
                return s.count_reports()
            finally:
                s.close()

        faults: list[tuple[str, Callable[[], None]]] = [
            ("kill -9 of one of 2 workers", lambda: workers[0].kill9()),
            ("kill -9 of nats-server (restarted after 2 s)", lambda: _down(nats, 2)),
            ("kill -9 of PostgreSQL (restarted after 2 s)", lambda: _down(pg, 2)),
        ]
        for name, fault in faults:
            load = Load([a.url for a in apis], clients=8, batch=20)
            thread = load.run_in_thread()
            time.sleep(5)
            level = loadavg()
            acked_before = len(load.acked)
            killed = time.monotonic()
            fault()
            new_ack = load.wait_ack_after(killed, 120)
            _wait_for(partial(_at_least, stored_count, acked_before), 120)
            caught_up = time.monotonic()
            time.sleep(3)
            load.stopping = True
            thread.join(30)
            if name.startswith("kill -9 of one"):
                workers[0].start()
            # everything acknowledged reaches the store
            _wait_for(partial(_complete, store_url, load.acked), 180)
            stored, lost, doubles = tally(store_url, load.acked)
            back = max(new_ack or float("nan"), caught_up) - killed
            rows.append(
                Row(
                    name,
                    f"8 clients x batches of 20, 2 API + 2 workers, 4 shards; load {level}",
                    len(load.acked),
                    stored,
                    lost,
                    doubles,
                    f"{back:.1f} s",
                    f"answers {dict(load.statuses)}; 5xx other than 503: {load.server_errors}",
                    green=lost == 0 and doubles == 0 and load.server_errors == 0,
                )  # fmt: skip
            )
            _clear(store_url)
    finally:
        for p in [*apis, *workers]:
            p.stop()
        nats.stop()
        pg.stop()
    return rows


def _down(service: Nats | Postgres, seconds: float) -> None:
    service.kill9()
    time.sleep(seconds)
    service.start()


def _at_least(count: Callable[[], int], n: int) -> bool:
    return count() >= n


def _complete(store_url: str, acked: list[str]) -> bool:
    return tally(store_url, acked)[1] == 0


def _clear(store_url: str) -> None:
    """Each cluster row counts its own reports: the raw reports of the last are removed."""
    import psycopg

    with psycopg.connect(store_url.replace("postgresql://", "postgresql://", 1)) as conn:
        conn.execute("DELETE FROM report_batches")


def full_disk(folder: Path) -> Row:
    disk = folder / "disk"
    disk.mkdir()
    mounted = False
    if os.geteuid() == 0:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)],
                              capture_output=True)  # fmt: skip
        mounted = done.returncode == 0
    if not mounted:
        return Row("full disk", "-", notes="needs root for a small tmpfs", green=False)
    url = f"sqlite:///{disk / 'rasd.db'}"
    server = Rasd(folder, {**EMBEDDED_ENV, "RASD_STORE_URL": url}, "serve")
    try:
        server.start()
        load = Load([server.url], clients=8, batch=50)
        thread = load.run_in_thread()
        time.sleep(2)
        level = loadavg()
        filler = disk / "filler"
        # fill what is left but for a few hundred kB, so the next writes find the disk full
        free = shutil.disk_usage(disk).free
        with open(filler, "wb") as f:
            with contextlib.suppress(OSError):
                f.write(b"\0" * max(0, free - 256 * 1024))
        full_at = time.monotonic()
        _wait_for(lambda: load.statuses["503"] > 0, 60)
        time.sleep(3)
        refused = load.statuses["503"]
        shape = _probe_full(server.url)
        filler.unlink()
        freed = time.monotonic()
        back = load.wait_ack_after(freed, 120)
        time.sleep(2)
        load.stopping = True
        thread.join(30)
    finally:
        server.stop()
    stored, lost, doubles = tally(url, load.acked)
    subprocess.run(["umount", str(disk)], check=False)
    recover = f"{back - freed:.1f} s after space freed" if back else "never"
    ok = refused > 0 and shape and back is not None and load.server_errors == 0
    return Row(
        "full disk (24 MB tmpfs)",
        f"8 clients x batches of 50; load {level}",
        len(load.acked), stored, lost, doubles, recover,
        f"503 answers {refused} (error shape: {'yes' if shape else 'no'}); "
        f"other 5xx {load.server_errors}; full {freed - full_at:.0f} s",
        green=bool(ok) and lost == 0 and doubles == 0,
    )  # fmt: skip


def _probe_full(url: str) -> bool:
    """One write while the disk is full: 503, Retry-After, and the one error shape."""
    body = {"service": "facebook", "problem": "app", "reporter": "probe", "country": "US"}
    r = httpx.post(f"{url}/api/v1/reports", json=body, timeout=10)
    if r.status_code != 503 or "retry-after" not in r.headers:
        print(f"  while full: {r.status_code} {r.text[:200]}")
        return False
    error = r.json().get("error", {})
    return {"code", "message", "details"} <= set(error)


def _p99(values: list[float]) -> float:
    return float(np.percentile(np.array(values) * 1000, 99)) if values else float("nan")


async def _slowloris(port: int, n: int, stop: asyncio.Event, answers: Counter[str]) -> None:
    """`n` connections that send a request's headers a byte a second; one the server closes
    is opened again (counted as "slowloris closed")."""
    head = b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"

    async def one() -> None:
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(1)
                continue
            at = 0
            while not stop.is_set() and not reader.at_eof():
                writer.write(head[at % len(head) : at % len(head) + 1])
                at += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(1), 1.0)
            if not stop.is_set():
                answers["slowloris closed"] += 1
            writer.close()

    await asyncio.gather(*(one() for _ in range(n)))


async def _bad_bodies(port: int, stop: asyncio.Event, answers: Counter[str]) -> None:
    """Bodies too large or malformed, back to back on raw sockets (the sender costs little
    next to the server): 200,000 reports in 14 MB (under the byte cap, over the batch cap),
    the same cut short and sent chunked, 20 MB declared, and small broken ones."""
    item = b'{"service":"facebook","problem":"app","reporter":"x","country":"US"}'
    many = b"[" + b",".join([item] * 200_000) + b"]"
    post = b"POST /api/v1/reports/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    kinds: list[tuple[bytes, bytes, bool]] = [
        (post + b"Content-Length: %d\r\n\r\n" % len(many), many, False),
        (post + b"Transfer-Encoding: chunked\r\n\r\n", many[:-1] + b",", True),
        (post + b"Content-Length: %d\r\n\r\n" % (20 << 20), b"[" * (20 << 20), False),
        (post + b"Content-Length: 17\r\n\r\n", b'{"service": [1,,]', False),
        (b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n", b"", False),
    ]
    n = 0
    while not stop.is_set():
        head, body, chunked = kinds[n % len(kinds)]
        n += 1
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head)
            if len(body) > 8 << 20:
                # declared too large: the answer comes before the body, which is never sent
                writer.write(body[:65536])
            elif chunked:
                for at in range(0, len(body), 1 << 20):
                    part = body[at : at + (1 << 20)]
                    writer.write(b"%x\r\n%s\r\n" % (len(part), part))
                writer.write(b"0\r\n\r\n")
            else:
                writer.write(body)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.drain(), 10)
            line = await asyncio.wait_for(reader.readline(), 10)
            answers[line.split(b" ")[1].decode() if line.count(b" ") else "closed"] += 1
            writer.close()
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            answers["closed"] += 1
        # paced: what is measured is what bad bodies cost, not a flood of requests (which
        # the per-address limit answers, 429)
        await asyncio.sleep(0.1)


def attack(port: int, seconds: float) -> None:
    """500 slowloris connections and two senders of bad bodies (10 a second each) for
    `seconds`; prints the
    bad requests' answers by status."""
    answers: Counter[str] = Counter()

    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        await asyncio.gather(
            _slowloris(port, 500, stop, answers),
            *(_bad_bodies(port, stop, answers) for _ in range(2)),
        )

    asyncio.run(run())
    print(orjson.dumps(answers).decode())


def slow_and_bad(folder: Path) -> Row:
    url = f"sqlite:///{folder / 'slow.db'}"
    server = Rasd(folder, {**EMBEDDED_ENV, "RASD_STORE_URL": url}, "serve")
    server.start()
    answers: Counter[str] = Counter()
    try:
        base = Load([server.url], clients=8)
        thread = base.run_in_thread()
        time.sleep(8)
        base.stopping = True
        thread.join(30)
        level_base = loadavg()

        attacked = Load([server.url], clients=8)
        # the attack runs in a process of its own: in this one it would take the clients' GIL
        attacker = subprocess.Popen(
            [sys.executable, __file__, "--attack", str(server.port), "--seconds", "14"],
            stdout=subprocess.PIPE,
        )
        time.sleep(2)
        thread = attacked.run_in_thread()
        time.sleep(11)
        attacked.stopping = True
        thread.join(30)
        level = loadavg()
        out, _ = attacker.communicate(timeout=60)
        answers.update(orjson.loads(out))
        alive = httpx.get(f"{server.url}/api/v1/health", timeout=5).status_code == 200
    finally:
        server.stop()
    p_base, p_attack = _p99(base.latencies), _p99(attacked.latencies)
    bad = sum(n for code, n in answers.items() if code.startswith("5"))
    ok = p_attack <= 1.5 * p_base + 5 and bad == 0 and alive and attacked.server_errors == 0
    return Row(
        "500 slowloris connections + 20/s oversized (declared, chunked) and malformed bodies",
        f"8 normal clients; load {level_base} without, {level} with",
        notes=f"normal p99 {p_base:.1f} ms without, {p_attack:.1f} ms with; "
        f"bad requests answered {dict(answers)}",
        green=ok,
    )


def flood(folder: Path) -> Row:
    """In process, on a virtual clock, after two days of normal reports learnt: half an hour
    with 300 reports a minute for one service from one /24, then from one reporter, then (the
    control) the same volume from 300 networks, which must open an incident. For the quietest
    service of the catalog, one in the middle and a busy one."""
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from rasd.assembly import embedded
    from rasd.catalog import load_catalog
    from rasd.clock import VirtualClock, minute_of
    from rasd.ingest.places import Places
    from rasd.settings import Settings
    from rasd.shell.app import create_app
    from rasd.sim import Simulation, load_scenario

    scenario = load_scenario("meta-2021-10-04")
    catalog = load_catalog()
    sim = Simulation(scenario, catalog, Places.default())
    history = sim.history(2)
    daily = {
        key.service: float(history.counts[row].sum()) / 2
        for row, key in enumerate(history.series)
        if key.region == "*"
    }
    by_volume = sorted(daily, key=daily.__getitem__)
    services = [by_volume[0], by_volume[len(by_volume) // 2], "netflix"]
    cases = ("one /24", "one reporter", "300 networks (control)")
    opened: Counter[str] = Counter()
    for service, case in [(s, c) for s in services for c in cases]:
        problem = sorted(catalog.services[service].problems)[0]
        clock = VirtualClock(scenario.start - timedelta(hours=6))
        settings = Settings(
            store_url="sqlite:///:memory:",
            import_tokens=[TOKEN],
            requests_per_second=1e9,
            request_burst=10**9,
            sources_enabled=False,
        )
        runtime = embedded(settings, clock=clock)
        engine = runtime.detector()
        start = minute_of(clock.now()) - history.counts.shape[1]
        engine.warm(start, list(history.series), history.counts)
        rng = random.Random(7)
        with TestClient(create_app(runtime)) as client:
            for m in range(30):
                items = []
                for i in range(300):
                    if case == "one /24":
                        ip, reporter = f"203.0.113.{i % 250 + 1}", f"r{m}-{i}"
                    elif case == "one reporter":
                        ip, reporter = f"198.{i % 200}.{m}.{i % 250 + 1}", "the-one"
                    else:
                        ip, reporter = f"{20 + i % 200}.{rng.randrange(256)}.{m}.9", f"r{m}-{i}"
                    items.append({"service": service, "problem": problem, "reporter": reporter,
                                  "country": "US", "ip": ip})  # fmt: skip
                r = client.post(
                    "/api/v1/reports/batch",
                    json=items,
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
                assert r.status_code == 202, r.text
                minute = minute_of(clock.now())
                clock.advance(timedelta(minutes=1))
                engine.tick(minute)
        found = runtime.store.list_incidents(limit=100)
        opened[case] += sum(1 for i in found if i.service == service)
        opened[f"{case} {service}"] = sum(1 for i in found if i.service == service)
        runtime.store.close()
    control = all(opened[f"{cases[2]} {s}"] > 0 for s in services)
    ok = opened[cases[0]] == 0 and opened[cases[1]] == 0 and control
    names = ", ".join(f"{s} ({daily[s]:.0f}/day)" for s in services)
    return Row(
        "flood: 300 reports/min for 30 min from one /24, from one reporter",
        f"in process, virtual clock, 2 days learnt; load {loadavg()}",
        notes=f"services {names}; incidents opened: "
        + ", ".join(f"{c} {opened[c]}" for c in cases)
        + f" (network_limit {Settings().network_limit})",
        green=ok,
    )


def contract(folder: Path) -> Row:
    """schemathesis against a fresh server, as tests/api/test_contract.py runs it."""
    here = Path(__file__).resolve().parents[1] / "tests" / "api"
    url = f"sqlite:///{folder / 'contract.db'}"
    limits = {
        "RASD_CHECK_NOW_PER_MINUTE": "100000",
        "RASD_SUBSCRIBE_PER_HOUR": "100000",
        "RASD_COMMENTS_PER_HOUR": "100000",
    }
    server = Rasd(folder, {**EMBEDDED_ENV, **limits, "RASD_STORE_URL": url}, "serve")
    server.start()
    level = loadavg()
    try:
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file", str(here / "schemathesis.toml"),
            "run", f"{server.url}/openapi.json",
            "--checks", "all",
            "--phases", "examples,coverage,fuzzing,stateful",
            "--seed", "21", "--max-examples", "8", "--workers", "1",
            "--generation-database", "none", "--no-color",
        ]  # fmt: skip
        env = {**os.environ, "SCHEMATHESIS_HOOKS": str(here / "contract_hooks.py")}
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    finally:
        server.stop()
    out = done.stdout + done.stderr
    summary = out[out.rfind("SUMMARY") :] if "SUMMARY" in out else out[-2000:]
    errors = summary.count("Server error")
    phases = [p for p in ("Stateful", "Fuzzing", "Coverage") if f"✅ {p}" in summary]
    tail = " ".join(line.strip() for line in summary.splitlines()[-3:] if line.strip())
    return Row(
        "schemathesis, every route, every phase (stateful included)",
        f"seed 21, 8 examples an operation; load {level}",
        notes=f"server errors found: {errors}; phases passed: {', '.join(phases)}; {tail}",
        green=done.returncode == 0 and errors == 0,
    )


def table(rows: list[Row]) -> Table:
    t = Table(title="Rasd under faults", show_lines=True)
    for name in ("fault", "load during it", "acknowledged", "stored", "lost", "double counts",
                 "time to recover", "notes", ""):  # fmt: skip
        t.add_column(name, overflow="fold")

    def n(v: int | None) -> str:
        return "-" if v is None else f"{v:,}"

    for r in rows:
        mark = "[green]green[/]" if r.green else "[red]red[/]"
        t.add_row(r.fault, r.load, n(r.acknowledged), n(r.stored), n(r.lost), n(r.doubles),
                  r.recover, r.notes, mark)  # fmt: skip
    return t


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="rasd-faults-"))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="serve,cluster,disk,slow,flood,contract")
    parser.add_argument("--rounds", type=int, default=3, help="kill -9 rounds of rasd serve")
    parser.add_argument("--attack", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=10, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:
        attack(args.attack, args.seconds)
        return
    wanted = set(args.only.split(","))
    rows: list[Row] = []
    console = Console(width=200)
    steps: list[tuple[str, Callable[[Path], Row | list[Row]]]] = [
        ("serve", lambda f: serve_kill(f, args.rounds)),
        ("cluster", cluster_faults),
        ("disk", full_disk),
        ("slow", slow_and_bad),
        ("flood", flood),
        ("contract", contract),
    ]
    for name, step in steps:
        if name not in wanted:
            continue
        console.print(f"[dim]{name} ...[/]")
        with workspace() as folder:
            got = step(folder)
        rows.extend(got if isinstance(got, list) else [got])
    console.print(table(rows))
    sys.exit(0 if all(r.green for r in rows) else 1)


if __name__ == "__main__":
    main()
