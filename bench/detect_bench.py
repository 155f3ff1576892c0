"""Detection benchmark: one tick over many live series, and memory per series.

Prints the time of one `SeriesBank.step` over N series (target <= 1 s for 100,000) beside a
baseline measured in the same run on the same arrays (a plain numpy add and a pass over the
hour-slot rows), and the state bytes per series (target <= 1 KB).

    python bench/detect_bench.py [--series 100000] [--ticks 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from rasd.detect import SeriesBank
from rasd.series import SeriesKey

START = 27_000_000


def _median_ms(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--ticks", type=int, default=30)
    args = parser.parse_args()
    n = args.series
    rng = np.random.default_rng(0)
    rates = np.exp(rng.uniform(np.log(0.01), np.log(3000), n))  # quiet ... giant

    keys = [SeriesKey(f"service{i % 5000}", "reports", f"C{i // 5000}") for i in range(n)]
    counts = [rng.poisson(rates).astype(np.float64) for _ in range(args.ticks + 60)]

    tracemalloc.start()
    probe = SeriesBank()
    for key in keys:
        probe.index(key)
    probe.step(START, counts[0])
    probe.step(START + 1, counts[1])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del probe

    bank = SeriesBank()
    t0 = time.perf_counter()
    for key in keys:
        bank.index(key)
    index_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for j in range(60):  # an hour of history so the series are not brand new
        bank.step(START + j, counts[j])
    hour_s = time.perf_counter() - t0

    tick_ms = []
    for j in range(60, 60 + args.ticks):
        t0 = time.perf_counter()
        bank.step(START + j, counts[j])
        tick_ms.append((time.perf_counter() - t0) * 1000)

    a, b = counts[0], counts[1]
    add_ms = _median_ms(lambda: np.add(a, b), 20)
    rows = np.ones((2, n), np.float32)
    rows_ms = _median_ms(lambda: rows[0] * rows[1] + a, 20)

    state = bank.state()
    state_bytes = sum(v.nbytes for v in state.values())
    print(f"series                       {n:,}")
    print(f"index all series             {index_s:.2f} s")
    print(f"first hour (60 ticks)        {hour_s:.2f} s")
    print(
        f"tick, median of {args.ticks:<3}         {statistics.median(tick_ms):.1f} ms"
        f"   (max {max(tick_ms):.1f} ms; target <= 1000 ms)"
    )
    print(
        f"baseline: numpy add          {add_ms:.2f} ms   "
        f"(tick = {statistics.median(tick_ms) / add_ms:.0f} x a plain add)"
    )
    print(f"baseline: one slot row pass  {rows_ms:.2f} ms")
    print(f"state per series (arrays)    {bank.nbytes_per_series():.0f} B   (target <= 1024 B)")
    print(f"state() size per series      {state_bytes / n:.0f} B   (keys included)")
    print(
        f"peak traced memory           {peak / 1e6:.0f} MB   ({peak / n:.0f} B per series, "
        "keys and index included)"
    )


if __name__ == "__main__":
    main()
