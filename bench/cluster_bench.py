"""Reports per second end to end: the embedded server beside a cluster with 1 and 2 workers,
then the reference event replayed through the cluster.

End to end means from the client's POST to counted: for the embedded server, a 202 comes after
the store commits; for the cluster, the clock stops when detection has ticked the last minute,
which needs every shard to have counted everything before it. Every run gets the same reports
(a slice of the reference scenario, scaled), sent by one client over HTTP in batches.

Beside the rate, the CPU seconds each accepted report cost, summed over every process of the
run (the API processes, the workers, nats-server and PostgreSQL with all its backends; for the
embedded run, the one server), from /proc/<pid>/stat (user + system time of each process and
of its children, live or ended) between the first report sent and the last counted. For that
the run starts its own nats-server and PostgreSQL (from their binaries, in a temporary folder,
on free ports: bench/faults.py), so nothing else on the machine is measured with them.

    .venv/bin/python bench/cluster_bench.py [--scale 0.05] [--minutes 30] [--reference-hours 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import psycopg
from faults import Nats, Postgres

from rasd.bus.nats import JetStreamLog, StreamLimits
from rasd.catalog import load_catalog
from rasd.clock import minute_of
from rasd.cluster.detector import checkpoint_key, ticked_key
from rasd.cluster.feed import ClusterFeed, report_items
from rasd.ingest.places import Places
from rasd.sim import Simulation, load_scenario
from rasd.store import open_store

TOKEN = "bench-import-token"
# set by main() to this run's own servers
ADMIN = ""
NATS = ""
PG_PORT = 0
SERVICE_PIDS: list[int] = []
SHARDS = 8
BATCH = 2000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Procs:
    def __init__(self, env: dict[str, str]) -> None:
        # the code beside this file, whatever folder the processes start in
        here = str(Path(__file__).resolve().parents[1] / "src")
        path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)
        self.env = {**os.environ, "PYTHONPATH": path, **env}
        self.dir = Path(tempfile.mkdtemp(prefix="rasd-bench-"))
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        with open(self.dir / f"{name}.log", "wb") as out:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "rasd.cli", *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
            )

    def api(self, name: str, *extra: str) -> str:
        port = free_port()
        self.start(name, "serve", "--port", str(port), *extra)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health").status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            if self.procs[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.dir / f"{name}.log").read_text()[-3000:])
            time.sleep(0.3)

    def peak_rss_mb(self, prefix: str) -> float:
        peak = 0.0
        for name, proc in self.procs.items():
            if not name.startswith(prefix):
                continue
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
            except OSError:
                pass
        return peak

    def close(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _stats() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of itself and of its ended children)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        # after the name: state, ppid, ... utime (14th field), stime, cutime, cstime
        ticks = sum(int(v) for v in fields[11:15])
        found[int(entry)] = (int(fields[1]), ticks / tick)
    return found


def cpu_seconds(roots: list[int]) -> float:
    """CPU seconds of these processes and of all their descendants, live or ended."""
    stats = _stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo, seen = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in stats:
            continue
        seen.add(pid)
        total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total


@contextmanager
def database() -> Iterator[str]:
    name = f"rasd_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _drop_stream(stream: str) -> None:
    nc = await nats.connect(NATS)
    js = nc.jetstream()
    for name in (stream, f"KV_{stream}_leases"):
        try:
            await js.delete_stream(name)
        except nats.js.errors.NotFoundError:
            pass
    await nc.close()


def traffic(
    start: datetime, minutes: int, scale: float
) -> tuple[Simulation, list[tuple[int, list[dict[str, Any]]]]]:
    scenario = load_scenario("meta-2021-10-04").scaled(scale)
    scenario = scenario.model_copy(
        update={"start": start, "end": start + timedelta(minutes=minutes)}
    )
    catalog = load_catalog()
    sim = Simulation(scenario, catalog, Places.default())
    batches: list[tuple[int, list[dict[str, Any]]]] = []
    refused = 0
    for m in sim.minutes():
        items = report_items(m.reports)
        # the API refuses a whole batch for one problem type its service does not have
        kept = [i for i in items if i["problem"] in catalog.services[i["service"]].problems]
        refused += len(items) - len(kept)
        batches.append((m.minute, kept))
    if refused:
        print(f"  ({refused:,} simulated reports name a problem type the catalog lacks: left out)")
    return sim, batches


def _history(store_url: str, sim: Simulation, days: int) -> None:
    if days <= 0:
        return
    store = open_store(store_url)
    store.migrate()
    hist = sim.history(days)
    increments = {}
    for row, key in enumerate(hist.series):
        for j in hist.counts[row].nonzero()[0].tolist():
            increments[(key, hist.start_minute + j)] = int(hist.counts[row, j])
    store.add_counts(increments, msg_id="history")
    store.close()


def run_embedded(minutes: list[tuple[int, list[dict[str, Any]]]]) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="rasd-bench-db-"))
    procs = Procs(
        {
            "RASD_STORE_URL": f"sqlite:///{folder / 'rasd.db'}",
            "RASD_IMPORT_TOKENS": f'["{TOKEN}"]',
            "RASD_IMPORT_MAX_AGE_DAYS": "100000",
            "RASD_REQUESTS_PER_SECOND": "1000000",
            "RASD_REQUEST_BURST": "1000000",
        }
    )
    try:
        url = procs.api("embedded", "--embedded")
        feed = ClusterFeed([url], TOKEN, None, batch=BATCH)
        pids = [p.pid for p in procs.procs.values()]
        cpu = cpu_seconds(pids)
        started = time.perf_counter()
        for minute, items in minutes:
            feed.send_items("reports", items, f"bench:{minute}")
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu
        feed.close()
        n = feed.acknowledged.get("reports", 0)
        return {
            "reports": n,
            "seconds": seconds,
            "rss_mb": procs.peak_rss_mb("embedded"),
            "cpu": {"server": cpu},
            "load": _load(),
        }
    finally:
        procs.close()
        shutil.rmtree(folder, ignore_errors=True)


def run_cluster(
    minutes: list[tuple[int, list[dict[str, Any]]]],
    workers: int,
    *,
    apis: int = 2,
    sim: Simulation | None = None,
    history_days: int = 1,
) -> dict[str, Any]:
    stream = f"RASDB{uuid.uuid4().hex[:8].upper()}"
    with database() as store_url:
        if sim is not None:
            _history(store_url, sim, history_days)
        procs = Procs(
            {
                "RASD_STORE_URL": store_url,
                "RASD_NATS_URL": NATS,
                "RASD_STREAM": stream,
                "RASD_SHARDS": str(SHARDS),
                "RASD_MINUTE_MARKS": "external",
                "RASD_LEASE_SECONDS": "4",
                "RASD_IMPORT_TOKENS": f'["{TOKEN}"]',
                "RASD_IMPORT_MAX_AGE_DAYS": "100000",
                "RASD_REQUESTS_PER_SECOND": "1000000",
                "RASD_REQUEST_BURST": "1000000",
                "RASD_HISTORY_DAYS": str(history_days),
            }
        )
        store = open_store(store_url)
        store.migrate()
        log = JetStreamLog(NATS, stream, StreamLimits(shards=SHARDS))
        feed: ClusterFeed | None = None
        try:
            for i in range(workers):
                procs.start(f"worker{i}", "worker", "--name", f"w{i}")
            servers = [procs.api(f"api{i}", "--cluster") for i in range(apis)]
            feed = ClusterFeed(servers, TOKEN, log, batch=BATCH)
            first = minutes[0][0]
            feed.minute_done(first - 1, None)
            _wait(lambda: store.get_state(checkpoint_key(stream)) is not None, 300)
            groups = {
                "API": [p.pid for n, p in procs.procs.items() if n.startswith("api")],
                "workers": [p.pid for n, p in procs.procs.items() if n.startswith("worker")],
                "NATS": SERVICE_PIDS[:1],
                "PostgreSQL": SERVICE_PIDS[1:],
            }
            before = {name: cpu_seconds(pids) for name, pids in groups.items()}
            started = time.perf_counter()
            for minute, items in minutes:
                feed.send_items("reports", items, f"bench:{minute}")
                feed.minute_done(minute, None)
            sent = time.perf_counter() - started
            last = str(minutes[-1][0]).encode()
            _wait(lambda: store.get_state(ticked_key(stream)) == last, 1800)
            seconds = time.perf_counter() - started
            cpu = {name: cpu_seconds(pids) - before[name] for name, pids in groups.items()}
            load = _load()
            incidents = store.list_incidents(limit=1000)
            return {
                "reports": feed.acknowledged.get("reports", 0),
                "stored": store.count_reports(),
                "seconds": seconds,
                "sent_seconds": sent,
                "retries": feed.retries,
                "rss_mb": procs.peak_rss_mb("worker"),
                "cpu": cpu,
                "load": load,
                "incidents": sorted((i.service, i.data["start"][11:16]) for i in incidents),
            }
        finally:
            if feed is not None:
                feed.close()
            else:
                asyncio.run(log.close())
            procs.close()
            store.close()
            asyncio.run(_drop_stream(stream))


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _wait(ok: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not ok():
        if time.monotonic() > deadline:
            raise RuntimeError("the cluster did not get there in time")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.05, help="of the reference volumes")
    parser.add_argument("--minutes", type=int, default=30, help="minutes in the throughput runs")
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="the cluster runs, by their number of workers",
    )
    parser.add_argument(
        "--reference-hours", type=float, default=2.0, help="hours of the reference replay (0: skip)"
    )
    args = parser.parse_args()
    global ADMIN, NATS, PG_PORT
    folder = Path(tempfile.mkdtemp(prefix="rasd-cluster-bench-"))
    os.chmod(folder, 0o755)
    nats_server, postgres = Nats(folder), Postgres(folder)
    nats_server.start()
    postgres.start()
    NATS, PG_PORT = nats_server.url, postgres.port
    ADMIN = f"host=127.0.0.1 port={PG_PORT} user=postgres dbname=postgres"
    assert nats_server.proc is not None
    postmaster = int((postgres.folder / "postmaster.pid").read_text().split()[0])
    SERVICE_PIDS[:] = [nats_server.proc.pid, postmaster]
    try:
        _measure(args)
    finally:
        nats_server.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _measure(args: argparse.Namespace) -> None:
    # the outage's first half hour: the steepest rise of the day
    start = datetime(2021, 10, 4, 15, 40, tzinfo=UTC)
    t = time.perf_counter()
    _, minutes = traffic(start, args.minutes, args.scale)
    n = sum(len(items) for _, items in minutes)
    print(f"traffic: {n:,} reports over {args.minutes} min at scale {args.scale}"
          f" (drawn in {time.perf_counter() - t:.1f} s)")  # fmt: skip

    rows = []
    embedded = run_embedded(minutes)
    rows.append(("embedded (SQLite, 1 process)", embedded))
    for workers in args.workers:
        rows.append((f"cluster, 2 API + {workers} worker(s)", run_cluster(minutes, workers)))
    print(f"\n{'run':36} {'reports':>9} {'seconds':>8} {'reports/s':>10} {'peak RSS MB':>12}")
    for name, r in rows:
        rate = r["reports"] / r["seconds"]
        figures = f"{r['reports']:>9,} {r['seconds']:>8.1f} {rate:>10,.0f} {r['rss_mb']:>12.0f}"
        print(f"{name:36} {figures}")
    base = embedded["reports"] / embedded["seconds"]
    for name, r in rows[1:]:
        ok = "ok" if r["stored"] == r["reports"] else "MISMATCH"
        print(f"  {name}: {r['reports'] / r['seconds'] / base:.2f}x embedded; "
              f"stored {r['stored']:,} of {r['reports']:,} acknowledged ({ok})")  # fmt: skip
    print("\nCPU per accepted report (all processes, user + system, from /proc):")
    per_base = sum(embedded["cpu"].values()) / embedded["reports"]
    for name, r in rows:
        per = sum(r["cpu"].values()) / r["reports"]
        parts = ", ".join(f"{k} {v / r['reports'] * 1e6:.1f}" for k, v in r["cpu"].items())
        print(f"  {name:36} {per * 1e6:6.1f} us ({parts}); {per / per_base:.2f}x embedded;"
              f" load {r['load']}")  # fmt: skip

    if args.reference_hours > 0:
        hours = args.reference_hours
        ref_start = datetime(2021, 10, 4, 15, 0, tzinfo=UTC)
        sim, ref = traffic(ref_start, int(hours * 60), args.scale)
        r = run_cluster(ref, 2, sim=sim, history_days=1)
        rate = r["reports"] / r["seconds"]
        print(
            f"\nreference replay through the cluster (2 API + 2 workers): "
            f"{ref_start:%H:%M}-{ref_start + timedelta(hours=hours):%H:%M} UTC at scale "
            f"{args.scale}: {r['reports']:,} reports in {r['seconds']:.1f} s "
            f"({rate:,.0f}/s; sending took {r['sent_seconds']:.1f} s, {r['retries']} retries); "
            f"stored {r['stored']:,}; peak worker RSS {r['rss_mb']:.0f} MB"
        )
        first = minute_of(ref_start)
        print(f"  simulated minutes: {len(ref)} from minute {first}")
        print("  incidents:", ", ".join(f"{s} from {at}" for s, at in r["incidents"]) or "none")


if __name__ == "__main__":
    main()
