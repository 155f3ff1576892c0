"""The whole reference day in process: ingest + aggregation of every report, then peak RSS.

Generation alone is timed first, in the same run, as the baseline: what remains is what
ingest and aggregation cost. The reports pass feeds every minute's reports in order, counting
one minute while the last is stored; a second pass applies the day again minute by minute with
posts and probe results, as `rasd replay` does (and ticks detection with --detect).

    .venv/bin/python bench/replay_bench.py [--hours 24] [--detect] [--reports-only]
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
import time
from collections import deque
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path

from rich.progress import Progress

from rasd.catalog import load_catalog
from rasd.clock import VirtualClock, minute_start
from rasd.commands import _settings, embedded
from rasd.ingest.places import Places
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

    with tempfile.TemporaryDirectory() as d:
        reports, reports_s, stored = _reports_pass(sim, last, Path(d) / "reports.db")
    print(f"reports: {reports:,} (stored raw: {stored:,})")
    print(
        f"reports, ingest + aggregation: {reports_s:.1f} s = {reports / reports_s:,.0f} "
        "reports/s (target: whole day <= 60 s)"
    )
    if not args.reports_only:
        with tempfile.TemporaryDirectory() as d:
            _other_pass(sim, last, Path(d) / "all.db", detect=args.detect)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss_mb:,.0f} MB")


def _reports_pass(sim: Simulation, last: datetime, path: Path) -> tuple[int, float, int]:
    """Every report of the day, minute after minute, through counting and the store.

    Batches are fed in order (`Aggregator.feed`): a minute is counted while the one before is
    being stored, and minutes that wait for the writer are committed together. The clock
    stops when the last batch is stored.
    """
    clock = VirtualClock(sim.start)
    runtime = embedded(_settings(store_url=f"sqlite:///{path}"), clock=clock)
    aggregator = runtime.aggregator
    gc.freeze()
    pending: deque[Future[None]] = deque()
    reports = 0
    elapsed = 0.0
    cpu_started = time.process_time()
    with Progress() as bar:
        task = bar.add_task("reports", total=int((last - sim.start).total_seconds() // 60))
        for traffic in sim.minutes(sim.start, last):
            t0 = time.perf_counter()
            pending.append(aggregator.feed(traffic.reports, f"bench:{traffic.minute}:r"))
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


def _other_pass(sim: Simulation, last: datetime, path: Path, *, detect: bool) -> None:
    """The whole day again with posts and probe results, each minute applied before the next
    (and detection ticked after it, with --detect): what `rasd replay` does in process."""
    clock = VirtualClock(sim.start)
    runtime = embedded(_settings(store_url=f"sqlite:///{path}"), clock=clock)
    engine = runtime.extras["engine"]
    if detect:
        history = sim.history(7)
        engine.warm(history.start_minute, history.series, history.counts)
    aggregator = runtime.aggregator
    reports_s = others_s = detect_s = 0.0
    cpu_started = time.process_time()
    with Progress() as bar:
        task = bar.add_task("everything", total=int((last - sim.start).total_seconds() // 60))
        started = time.perf_counter()
        for traffic in sim.minutes(sim.start, last):
            t0 = time.perf_counter()
            aggregator.apply("reports", traffic.reports, f"bench:{traffic.minute}:r")
            t1 = time.perf_counter()
            if traffic.posts:
                aggregator.apply("posts", traffic.posts, f"bench:{traffic.minute}:p")
            if traffic.probes:
                aggregator.apply("probes", traffic.probes, f"bench:{traffic.minute}:q")
            t2 = time.perf_counter()
            reports_s += t1 - t0
            others_s += t2 - t1
            clock.set(minute_start(traffic.minute + 1))
            if detect:
                engine.tick(traffic.minute)
                detect_s += time.perf_counter() - t2
            bar.advance(task)
        total = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    runtime.store.close()
    print(f"reports applied one minute at a time: {reports_s:.1f} s")
    print(f"posts and probe results, ingest + aggregation: {others_s:.1f} s")
    if detect:
        print(
            f"detection: {detect_s:.1f} s over {engine.ticks} ticks "
            f"({detect_s / max(engine.ticks, 1) * 1000:.1f} ms a tick)"
        )
    print(f"CPU time of this pass, all threads, generation included: {cpu:.1f} s")
    print(f"wall time of this pass with generation: {total:.1f} s")


if __name__ == "__main__":
    main()
