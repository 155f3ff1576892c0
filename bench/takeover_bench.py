"""What a worker's take-over of a shard costs before it counts again: the dedupe windows
rebuilt from the store.

A fresh PostgreSQL database on 127.0.0.1 gets an hour of stored report batches of every shard
(one batch a shard a second, counted as the workers would), then a new owner of one shard
rebuilds its windows the way a worker does, on a clock at the end of that hour. Printed: the
reports the windows were rebuilt from and the CPU seconds of the rebuilding thread (the
database's own time is left out), beside the hour's reports stored.

    .venv/bin/python bench/takeover_bench.py [--rate 1000] [--minutes 60] [--shards 4]
"""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg

from rasd.bus.codec import shard_of
from rasd.clock import VirtualClock, minute_start
from rasd.counting.aggregator import Aggregator
from rasd.signals.reports import ReportColumns, ReportCounter
from rasd.store import open_store

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
END_MINUTE = 28_480_000 + 37  # the hour ends mid-window, as a take-over mostly does
SERVICES = tuple(f"service-{i}" for i in range(64))


def _second(rng: np.random.Generator, ms: int, services: list[int], n: int) -> ReportColumns:
    return ReportColumns(
        ts_ms=np.sort(ms + rng.integers(0, 1000, n)).astype(np.int64),
        service=rng.choice(np.array(services, np.int32), n),
        problem=np.zeros(n, np.int16),
        place=np.zeros(n, np.int32),
        reporter=rng.integers(1, 1 << 62, n).astype(np.uint64),
        network=rng.integers(1, 1 << 20, n).astype(np.uint64),
        services=SERVICES,
        problems=("app",),
        places=("EG",),
    )


def _fill(url: str, args: argparse.Namespace) -> int:
    """The hour's batches, straight into the table; returns the reports stored."""
    store = open_store(url)
    store.migrate()
    by_shard = {s: [i for i, n in enumerate(SERVICES) if shard_of(n, args.shards) == s]
                for s in range(args.shards)}  # fmt: skip
    counters = {s: ReportCounter() for s in by_shard}
    rng = np.random.default_rng(20)
    start_ms = (END_MINUTE - args.minutes) * 60_000
    per_shard = max(1, args.rate // args.shards)
    stored = 0
    with psycopg.connect(url) as conn:
        has_shard = conn.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'report_batches' AND column_name = 'shard'"
        ).fetchone()
        columns = "first_ms, last_ms, n, counted, data" + (", shard" if has_shard else "")
        marks = ", ".join(["%s"] * (6 if has_shard else 5))
        for second in range(args.minutes * 60):
            rows = []
            for shard, services in by_shard.items():
                batch = (
                    counters[shard]
                    .count(_second(rng, start_ms + second * 1000, services, per_shard))
                    .batch
                )
                assert batch is not None
                rows.append((*batch[:5], shard)[: 6 if has_shard else 5])
                stored += batch.n
            with conn.cursor() as cur:
                cur.executemany(f"INSERT INTO report_batches ({columns}) VALUES ({marks})", rows)
            if second % 300 == 299:
                conn.commit()
        conn.commit()
        conn.execute("ANALYZE report_batches")
    store.close()
    return stored


def _take_over(url: str, shard: int, shards: int) -> tuple[int, float, float]:
    store = open_store(url)
    clock = VirtualClock(minute_start(END_MINUTE))
    started, wall = time.thread_time(), time.monotonic()
    try:
        aggregator = Aggregator(
            store,
            clock,
            reports=ReportCounter(),
            shard=shard,
            owns=lambda service: shard_of(service, shards) == shard,
        )
        aggregator.restore(END_MINUTE)
        rebuilt = aggregator.rebuilt
    except TypeError:  # the code before shards named their batches: every shard's last hour
        aggregator = Aggregator(store, clock, reports=ReportCounter())
        aggregator.restore()
        since = (END_MINUTE - 60) * 60_000
        rebuilt = sum(b.counted for b in store.recent_batches(since))
    cpu, wall = time.thread_time() - started, time.monotonic() - wall
    store.close()
    return rebuilt, cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000, help="reports a second, all shards")
    parser.add_argument("--minutes", type=int, default=60, help="minutes stored")
    parser.add_argument("--shards", type=int, default=4)
    args = parser.parse_args()
    name = f"rasd_takeover_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        stored = _fill(url, args)
        load = Path("/proc/loadavg").read_text().split()[0]
        rebuilt, cpu, wall = _take_over(url, 1, args.shards)
        load_after = Path("/proc/loadavg").read_text().split()[0]
        print(
            f"stored {stored:,} reports over {args.minutes} min, {args.shards} shards; "
            f"take-over of one shard: windows rebuilt from {rebuilt:,} reports, "
            f"{cpu:.2f} s CPU ({wall:.2f} s wall), load {load}-{load_after}"
        )
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
