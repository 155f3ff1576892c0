"""The whole reference day in process: ingest + aggregation of every report, then peak RSS.

Generation alone is timed first, in the same run, as the baseline: what remains is what
ingest and aggregation cost. The reports pass feeds every minute's reports in order, counting
one minute while the last is stored; a second pass replays the day again with posts and probe
results through `rasd replay`'s own sink (and ticks detection with --detect).

    .venv/bin/python bench/replay_bench.py [--hours 24] [--detect] [--reports-only]
        [--replay-only] [--readers N]

The replay pass prints where its own thread's time went (generation, counting each kind,
detection ticks, waiting) and the largest the SQLite log file grew, optionally while N threads
read as the pages do.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import resource
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.progress import Progress

from rasd.assembly import embedded
from rasd.catalog import load_catalog
from rasd.cli.options import settings_from
from rasd.cli.progress import replay_bar
from rasd.clock import VirtualClock, minute_start
from rasd.ingest.places import Places
from rasd.replay import InProcessSink, Replay
from rasd.sim import Simulation, load_scenario

# minutes counted ahead of the store: enough for the writer to take several in one commit
_IN_FLIGHT = 4


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="meta-2021-10-04")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--detect", action="store_true", help="also run the detection tick")
    parser.add_argument(
        "--reports-only", action="store_true", help="skip the pass with posts and probes"
    )
    parser.add_argument("--replay-only", action="store_true", help="skip the reports-only pass")
    parser.add_argument(
        "--readers", type=int, default=0, help="threads reading as pages do, during the replay"
    )
    args = parser.parse_args()
    catalog = load_catalog()
    sim = Simulation(load_scenario(args.scenario), catalog, Places.default())
    last = sim.start + timedelta(hours=args.hours)

    started = time.perf_counter()
    generated = 0
    for traffic in sim.minutes(sim.start, last):
        generated += len(traffic.reports)
    generation = time.perf_counter() - started
    print(f"generation only: {generated:,} reports in {generation:.1f} s")

    if not args.replay_only:
        with tempfile.TemporaryDirectory() as d:
            reports, reports_s, stored = _reports_pass(sim, last, Path(d) / "reports.db")
        print(f"reports: {reports:,} (stored raw: {stored:,})")
        print(
            f"reports, ingest + aggregation: {reports_s:.1f} s = {reports / reports_s:,.0f} "
            "reports/s (target: whole day <= 60 s)"
        )
    if not args.reports_only:
        window = Simulation(
            sim.scenario.model_copy(update={"end": last}), catalog, Places.default()
        )
        with tempfile.TemporaryDirectory() as d:
            _replay_pass(window, Path(d) / "all.db", detect=args.detect, readers=args.readers)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss_mb:,.0f} MB")


def _reports_pass(sim: Simulation, last: datetime, path: Path) -> tuple[int, float, int]:
    """Every report of the day, minute after minute, through counting and the store.

    Batches are fed in order (`Aggregator.feed`): a minute is counted while the one before is
    being stored, and minutes that wait for the writer are committed together. The clock
    stops when the last batch is stored.
    """
    clock = VirtualClock(sim.start)
    runtime = embedded(settings_from(store_url=f"sqlite:///{path}"), clock=clock)
    aggregator = runtime.aggregator
    assert aggregator is not None  # an embedded process counts
    gc.freeze()
    pending: deque[Future[None]] = deque()
    reports = 0
    elapsed = 0.0
    cpu_started = time.process_time()
    with Progress() as bar:
        task = bar.add_task("reports", total=int((last - sim.start).total_seconds() // 60))
        for traffic in sim.minutes(sim.start, last):
            t0 = time.perf_counter()
            pending.append(aggregator.feed("reports", traffic.reports, f"bench:{traffic.minute}:r"))
            while len(pending) > _IN_FLIGHT:
                pending.popleft().result()
            elapsed += time.perf_counter() - t0
            reports += len(traffic.reports)
            clock.set(minute_start(traffic.minute + 1))
            bar.advance(task)
        t0 = time.perf_counter()
        while pending:
            pending.popleft().result()
        elapsed += time.perf_counter() - t0
    cpu = time.process_time() - cpu_started
    print(f"CPU time of the reports pass, all threads, generation included: {cpu:.1f} s")
    stored = runtime.store.count_reports()
    runtime.store.close()
    return reports, elapsed, stored


class _LogPeak:
    """The largest the SQLite write-ahead log file was seen, looked at every 20 ms."""

    def __init__(self, path: Path) -> None:
        self.path = Path(f"{path}-wal")
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, self.path.stat().st_size)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


class _Phases:
    """Seconds the replay's own thread spent in each part of its work: wall-clock and the
    thread's own CPU time (other processes on a shared machine stretch the first, not the
    second)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + wall
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*args)
            finally:
                self.add(name, time.perf_counter() - t0, time.thread_time() - c0)

        return run


class _TimedSimulation:
    """The simulation as `Replay` sees it, its minutes timed as they are made."""

    def __init__(self, sim: Simulation, phases: _Phases) -> None:
        self._sim = sim
        self._phases = phases
        self.scenario, self.seed, self.total_minutes = sim.scenario, sim.seed, sim.total_minutes
        self.start = sim.start

    def minutes(self, **options: Any) -> Iterator[Any]:
        made = iter(self._sim.minutes(**options))
        while True:
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                traffic = next(made)
            except StopIteration:
                return
            finally:
                self._phases.add("generation", time.perf_counter() - t0, time.thread_time() - c0)
            yield traffic


def _threads_cpu() -> dict[str, float]:
    """CPU seconds of every other thread alive, by name (the page readers' summed): what the
    store's writer and the readers take of the cores and of the interpreter's lock."""
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.ident is None:
            continue
        name = "readers" if thread.name.startswith("page-reader") else thread.name
        with contextlib.suppress(OSError):
            seconds = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            out[name] = out.get(name, 0.0) + seconds
    return out


def _readers(runtime: Any, stop: threading.Event, count: int) -> list[threading.Thread]:
    """What a demo's readers do to the store: the home page's sums of every service over the
    last day, and one service's day chart, again and again (each a read transaction)."""
    from rasd.clock import minute_of
    from rasd.series import REPORTS, WORLD, SeriesKey
    from rasd.store import queries

    def read() -> None:
        while not stop.is_set():
            now = minute_of(runtime.clock.now())
            queries.world_reports(runtime.store, None, now - 1440, now, 15)
            runtime.store.read_counts(SeriesKey("whatsapp", REPORTS, WORLD), now - 1440, now, 5)
            time.sleep(0.01)

    threads = [
        threading.Thread(target=read, daemon=True, name=f"page-reader-{i}") for i in range(count)
    ]
    for thread in threads:
        thread.start()
    return threads


def _replay_pass(sim: Simulation, path: Path, *, detect: bool, readers: int) -> None:
    """The whole day again with posts and probe results, through `rasd replay`'s own sink:
    every minute fed, and (with --detect) ticked once it is stored. Prints the time, the
    replay thread's time by phase and the largest the SQLite log grew."""
    clock = VirtualClock(sim.start)
    runtime = embedded(settings_from(store_url=f"sqlite:///{path}"), clock=clock)
    engine = runtime.detector()
    if detect:
        history = sim.history(7)
        engine.warm(history.start_minute, history.series, history.counts)
    phases = _Phases()
    assert runtime.aggregator is not None  # an embedded process counts
    feed = runtime.aggregator.feed
    feeds = {kind: phases.timed(f"counting {kind}", feed) for kind in _KINDS}
    tick = phases.timed("detection ticks", engine.tick) if detect else None
    peak = _LogPeak(path)
    stop = threading.Event()
    reading = _readers(runtime, stop, readers)
    cpu_started, thread_started = time.process_time(), time.thread_time()
    load_before = os.getloadavg()
    sink = InProcessSink(lambda kind, *rest: feeds[kind](kind, *rest), clock, tick)
    with replay_bar(sim) as on_minute:
        stats = Replay(
            _TimedSimulation(sim, phases), sink, label="bench", on_minute=on_minute, ahead=True
        ).run()
    cpu = time.process_time() - cpu_started
    thread_cpu = time.thread_time() - thread_started
    load_after = os.getloadavg()
    others = _threads_cpu()
    stop.set()
    for thread in reading:
        thread.join()
    log_peak = peak.stop()
    checkpointer = getattr(runtime.store, "checkpointer", None)
    truncations = checkpointer.truncations if checkpointer is not None else 0
    starved = getattr(checkpointer, "starved", 0)
    runtime.store.close()
    database = path.stat().st_size
    print(
        f"as `rasd replay` does, generation included: {stats.seconds:.1f} s for "
        f"{stats.reports:,} reports, {stats.posts:,} posts and {stats.probes:,} probe results"
        + (f", {engine.ticks} detection ticks" if detect else "")
        + " (target <= 60 s; generation alone, above: the floor)"
    )
    rest = stats.seconds - sum(phases.seconds.values())
    rest_cpu = thread_cpu - sum(phases.cpu.values())
    print(f"  {'part':<18} {'wall':>9} {'thread CPU':>12}")
    for name, seconds in sorted(phases.seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<18} {seconds:7.1f} s {phases.cpu[name]:10.1f} s")
    print(
        f"  {'waiting, other':<18} {rest:7.1f} s {rest_cpu:10.1f} s "
        "(mostly the store, minutes ahead)"
    )
    print(
        f"CPU time of this pass: the replay thread {thread_cpu:.1f} s, all threads {cpu:.1f} s; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after"
    )
    print(
        "  other threads' CPU since they began: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in others.items())
    )
    print(
        f"SQLite log peak {log_peak / 2**20:,.1f} MB with {readers} readers "
        f"({truncations} truncating checkpoints, {starved} gave up), beside the database's "
        f"{database / 2**20:,.0f} MB at the end (target < 64 MB)"
    )


_KINDS = ("reports", "posts", "probes", "routes")


if __name__ == "__main__":
    main()
