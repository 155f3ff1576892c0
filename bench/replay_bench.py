"""The whole reference day in process: ingest + aggregation of every report, then peak RSS.

Generation alone is timed first, in the same run, as the baseline: what remains is what
ingest and aggregation cost. The reports pass feeds every minute's reports in order, counting
one minute while the last is stored; a second pass replays the day again with posts and probe
results through `rasd replay`'s own sink (and ticks detection with --detect).

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

from rasd.assembly import embedded
from rasd.catalog import load_catalog
from rasd.cli.options import settings_from
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
        window = Simulation(
            sim.scenario.model_copy(update={"end": last}), catalog, Places.default()
        )
        with tempfile.TemporaryDirectory() as d:
            _replay_pass(window, Path(d) / "all.db", detect=args.detect)
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


def _replay_pass(sim: Simulation, path: Path, *, detect: bool) -> None:
    """The whole day again with posts and probe results, through `rasd replay`'s own sink:
    every minute fed, and (with --detect) ticked once it is stored."""
    clock = VirtualClock(sim.start)
    runtime = embedded(settings_from(store_url=f"sqlite:///{path}"), clock=clock)
    engine = runtime.extras["engine"]
    if detect:
        history = sim.history(7)
        engine.warm(history.start_minute, history.series, history.counts)
    cpu_started = time.process_time()
    assert runtime.aggregator is not None  # an embedded process counts
    sink = InProcessSink(runtime.aggregator.feed, clock, engine.tick if detect else None)
    stats = Replay(sim, sink, label="bench").run()
    cpu = time.process_time() - cpu_started
    runtime.store.close()
    print(
        f"as `rasd replay` does, generation included: {stats.seconds:.1f} s for "
        f"{stats.reports:,} reports, {stats.posts:,} posts and {stats.probes:,} probe results"
        + (f", {engine.ticks} detection ticks" if detect else "")
    )
    print(f"CPU time of this pass, all threads: {cpu:.1f} s")


if __name__ == "__main__":
    main()
