"""The whole reference day in process: ingest + aggregation of every report, then peak RSS.

Generation alone is timed first, in the same run, as the baseline: what remains is what
ingest and aggregation cost. Detection is timed separately.

    .venv/bin/python bench/replay_bench.py [--hours 24] [--detect]
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rich.progress import Progress

from rasd.catalog import load_catalog
from rasd.clock import VirtualClock, minute_start
from rasd.commands import _settings, embedded
from rasd.ingest.places import Places
from rasd.sim import Simulation, load_scenario


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="meta-2021-10-04")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--detect", action="store_true", help="also run the detection tick")
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
        clock = VirtualClock(sim.start)
        runtime = embedded(_settings(store_url=f"sqlite:///{Path(d) / 'replay.db'}"), clock=clock)
        engine = runtime.extras["engine"]
        if args.detect:
            history = sim.history(7)
            engine.warm(history.start_minute, history.series, history.counts)
        aggregator = runtime.aggregator
        gc.freeze()
        reports_s = others_s = detect = 0.0
        reports = 0
        cpu_started = time.process_time()
        with Progress() as bar:
            task = bar.add_task("replay", total=int((last - sim.start).total_seconds() // 60))
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
                reports += len(traffic.reports)
                clock.set(minute_start(traffic.minute + 1))
                if args.detect:
                    engine.tick(traffic.minute)
                    detect += time.perf_counter() - t2
                bar.advance(task)
            total = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        stored = runtime.store.count_reports()
        runtime.store.close()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reports: {reports:,} (stored raw: {stored:,})")
    print(
        f"reports, ingest + aggregation: {reports_s:.1f} s = {reports / reports_s:,.0f} "
        "reports/s (target: whole day <= 60 s)"
    )
    print(f"posts and probe results, ingest + aggregation: {others_s:.1f} s")
    if args.detect:
        print(
            f"detection: {detect:.1f} s over {engine.ticks} ticks "
            f"({detect / max(engine.ticks, 1) * 1000:.1f} ms a tick)"
        )
    print(f"CPU time of the run, all threads, generation included: {cpu:.1f} s")
    print(f"wall time with generation: {total:.1f} s; peak RSS {rss_mb:,.0f} MB")


if __name__ == "__main__":
    main()
