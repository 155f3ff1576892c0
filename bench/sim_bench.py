"""Simulator speed: the reference day (over ten million reports) and fourteen days of history.

    .venv/bin/python bench/sim_bench.py [--scenario meta-2021-10-04] [--history-days 14]

Prints, for the whole scenario: reports per second and wall time with reports only, then with
posts, then with probe results as well; the peak memory of one pass; and the time to draw
history for warming baselines. The baseline, measured in the same run, is a plain numpy draw
of the same number of reports' random columns (Poisson counts, uniforms, 64-bit keys) with no
model around it: the floor the simulator's own work is compared to.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from rasd.catalog import default_catalog
from rasd.ingest.places import Places
from rasd.sim import Simulation, load_scenario


def _pass(sim: Simulation, posts: bool, probes: bool) -> tuple[float, float, int, int, int]:
    """Wall and CPU seconds of one pass (CPU time holds up better on a shared machine)."""
    t0, c0 = time.perf_counter(), time.process_time()
    n_reports = n_posts = n_probes = 0
    for traffic in sim.minutes(posts=posts, probes=probes):
        n_reports += len(traffic.reports)
        n_posts += len(traffic.posts)
        n_probes += len(traffic.probes)
    return time.perf_counter() - t0, time.process_time() - c0, n_reports, n_posts, n_probes


def _baseline(n: int, minutes: int) -> float:
    rng = np.random.default_rng(1)
    per = n // minutes
    t0 = time.perf_counter()
    for _ in range(minutes):
        rng.poisson(np.full(8000, per / 8000))
        rng.random((4, per))
        rng.bit_generator.random_raw(per)
        rng.integers(0, 60_000, size=per)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="meta-2021-10-04")
    parser.add_argument("--history-days", type=int, default=14)
    args = parser.parse_args()

    t0 = time.perf_counter()
    catalog, places = default_catalog(), Places.default()
    scenario = load_scenario(args.scenario)
    sim = Simulation(scenario, catalog, places)
    print(f"setup (catalog, places, plan): {time.perf_counter() - t0:.2f} s")
    print(f"scenario {scenario.name}: {sim.total_minutes} minutes, {len(sim.service_ids)} services")
    print(f"expected reports: {sim.expected_reports():,}")

    wall, cpu, n, _, _ = _pass(sim, posts=False, probes=False)
    print(
        f"reports only:    {wall:6.2f} s wall {cpu:6.2f} s CPU  {n:,} reports  "
        f"{n / cpu:,.0f} reports per CPU second"
    )
    c0 = time.process_time()
    _baseline(n, sim.total_minutes)
    base = time.process_time() - c0
    print(f"baseline (raw numpy draws for as many reports): {base:6.2f} s CPU ({cpu / base:.1f}x)")

    wall, cpu, n, n_posts, _ = _pass(sim, posts=True, probes=False)
    print(f"reports + posts: {wall:6.2f} s wall {cpu:6.2f} s CPU  {n_posts:,} posts")
    wall, cpu, n, n_posts, n_probes = _pass(sim, posts=True, probes=True)
    print(f"everything:      {wall:6.2f} s wall {cpu:6.2f} s CPU  {n_probes:,} probe results")

    tracemalloc.start()
    _pass(sim, posts=True, probes=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak traced memory of one pass: {peak / 2**20:.1f} MiB")

    t0 = time.perf_counter()
    history = sim.history(args.history_days)
    seconds = time.perf_counter() - t0
    print(
        f"history {args.history_days} days: {seconds:.2f} s, {len(history.series):,} series x "
        f"{history.minutes:,} minutes ({history.counts.nbytes / 2**20:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
