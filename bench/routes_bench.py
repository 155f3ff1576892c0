"""RIS Live: messages decoded a second on one core, and from a withdrawal to an incident.

1. Decoding. The same RIS Live frames (UPDATEs as the feed sends them: announcements of one
   to three prefixes with a path, withdrawals without one; half of the prefixes Meta's, half
   others) are read three ways in one process: `json.loads` alone, `msgspec.json.decode`
   alone (the baselines: bare JSON of the same frames), and Rasd's decoder, which also checks
   the fields and ties each prefix to the catalog prefix that covers it.

2. Withdrawal to incident. A local RIS Live stand-in, the real source, the embedded server's
   counting, route state and detection engine. Peers announce Meta's prefixes; then the name
   servers' prefixes are withdrawn by nine peers of ten and the feed's clock moves on (the
   messages carry the time, as RIS Live's do, and detection ticks each minute once messages
   from a later one have come in). Timed from sending the withdrawals: the updates counted
   (the baseline: transport, decoding and the log), and an open incident whose event has a
   routing cause. On the system clock the hold rules add their minutes to this:
   `routes_hold_minutes` (2) before the routes are evidence, three before the hint is believed.

    .venv/bin/python bench/routes_bench.py [--frames 200000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sources.standin import RisLiveStandIn, ris_update  # noqa: E402

from rasd.assembly import embedded  # noqa: E402
from rasd.catalog import load_catalog  # noqa: E402
from rasd.cli.options import settings_from  # noqa: E402
from rasd.clock import VirtualClock, minute_of  # noqa: E402
from rasd.sources.backoff import Backoff  # noqa: E402
from rasd.sources.ris_live import Decoder, PrefixMatcher, RisLiveSource  # noqa: E402

T0 = datetime(2021, 10, 4, 15, 30, tzinfo=UTC)


def _frames(n: int, seed: int = 1) -> list[str]:
    meta = load_catalog().owners["meta"]
    ours = [*meta.prefixes, "157.240.1.0/24", "31.13.70.0/24"]  # with more specific ones
    others = [f"{a}.{b}.0.0/16" for a, b in ((23, 1), (45, 2), (81, 3), (203, 4), (91, 5))]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        peer = f"192.0.2.{rng.randrange(1, 250)}"
        prefixes = [rng.choice(ours if rng.random() < 0.5 else others)
                    for _ in range(rng.randint(1, 3))]  # fmt: skip
        ts = T0.timestamp() + i * 0.01
        if rng.random() < 0.3:
            message = ris_update(ts, peer, withdraw=prefixes)
        else:
            message = ris_update(ts, peer, announce=prefixes)
        out.append(json.dumps(message, separators=(",", ":")))
    return out


def _rate(label: str, frames: list[str], read: Any, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for frame in frames:
            read(frame)
        best = min(best, time.perf_counter() - started)
    rate = len(frames) / best
    print(f"  {label:<44} {rate:>12,.0f} messages/s")
    return rate


def decoding(n: int, runs: int) -> None:
    frames = _frames(n)
    size = sum(len(f) for f in frames) / len(frames)
    print(f"decoding {n:,} RIS Live UPDATE frames ({size:.0f} bytes on average), best of {runs}")
    loads = _rate("json.loads (baseline)", frames, json.loads, runs)
    bare = _rate("msgspec.json.decode (baseline)", frames, msgspec.json.decode, runs)
    meta = load_catalog().owners["meta"]
    decoder = Decoder(PrefixMatcher({"meta": list(meta.prefixes)}))
    ours = _rate("Rasd decoder (checked, tied to the catalog)", frames, decoder.decode, runs)
    assert decoder.malformed == 0
    print(f"  ratio to json.loads {ours / loads:.2f}, to bare msgspec {ours / bare:.2f}")


async def _to_incident(tmp: Path) -> tuple[float, float]:
    clock = VirtualClock(T0)
    settings = settings_from(
        store_url=f"sqlite:///{tmp / 'b.db'}", offline=True, sources_enabled=False
    )
    runtime = embedded(settings, clock=clock)
    engine, state = runtime.detector(), runtime.route_state
    assert state is not None  # an embedded process keeps the routes it counts
    meta = runtime.catalog.owners["meta"]
    ns = list(meta.nameserver_prefixes)
    peers = [f"192.0.2.{i}" for i in range(1, 11)]
    standin = await RisLiveStandIn().start()
    source = RisLiveSource(runtime, standin.url, {"meta": list(meta.prefixes)},
                           flush_seconds=0.01, backoff=Backoff(0.05, 0.2, seed=1))  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(source.run(stop))
    first = minute_of(T0)
    ticked = first - 1

    def at(minute: int, second: float) -> float:
        return (T0 + timedelta(minutes=minute, seconds=second)).timestamp()

    async def until(condition: Any) -> None:
        nonlocal ticked
        while not condition():
            # detection ticks a minute once the feed has moved past it
            while state.newest is not None and ticked < state.newest - 1:
                ticked += 1
                engine.tick(ticked)
            await asyncio.sleep(0.001)

    try:
        while len(standin.subscriptions) < len(meta.prefixes):
            await asyncio.sleep(0.01)
        await standin.send(*(ris_update(at(0, i), p, announce=list(meta.prefixes))
                             for i, p in enumerate(peers)))  # fmt: skip
        counted = 10 * len(meta.prefixes)
        await until(lambda: source.status().totals["counted"] == counted)
        sent = time.perf_counter()
        await standin.send(*(ris_update(at(1, i), p, withdraw=ns) for i, p in enumerate(peers[:9])))
        # the feed goes on: routine announcements of the aggregates, minute after minute
        await standin.send(*(ris_update(at(m, 30), peers[9], announce=[meta.prefixes[0]])
                             for m in range(2, 7)))  # fmt: skip
        await until(lambda: source.status().totals["counted"] >= counted + 9 * len(ns))
        seen = time.perf_counter() - sent

        def opened() -> bool:
            events = [e for e in runtime.store.list_events() if e.owner == "meta"]
            return bool(events) and any(
                h["code"] == "routing" for h in events[0].data["cause_hints"]
            )

        await until(opened)
        incident = time.perf_counter() - sent
        assert runtime.store.list_incidents(service="facebook")
    finally:
        stop.set()
        await task
        await standin.stop()
        runtime.store.close()
    return seen, incident


def to_incident(runs: int) -> None:
    print(f"withdrawal on the local RIS Live stand-in to an open incident with a routing cause, "
          f"{runs} runs")  # fmt: skip
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(asyncio.run(_to_incident(Path(tmp))))
    seen = sorted(r[0] for r in results)[len(results) // 2] * 1000
    incident = sorted(r[1] for r in results)[len(results) // 2] * 1000
    print(f"  withdrawals counted (baseline: transport, decoding, log)  {seen:8.1f} ms median")
    print(f"  open incident with a routing cause                         {incident:8.1f} ms median")
    print("  on the system clock add the hold rules: the routes count after 2 minutes,")
    print("  the hint is believed after 3, so about 3 minutes plus the wait for the tick")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    decoding(args.frames, args.runs)
    to_incident(args.runs)


if __name__ == "__main__":
    main()
