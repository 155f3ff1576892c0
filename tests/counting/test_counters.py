"""Every counter the process wires (rasd.assembly.counting) keeps the Counter contract
(rasd.counting.counter), checked on twenty minutes of the reference day's posts, probe
results and route updates around the Meta outage."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from rasd.assembly.signals import counting
from rasd.catalog import load_catalog
from rasd.counting.counter import Counter, Counts
from rasd.ingest.places import Places
from rasd.series import SeriesKey
from rasd.settings import Settings
from rasd.sim import Simulation, load_scenario

_FIRST = datetime(2021, 10, 4, 15, 36, tzinfo=UTC)
_LAST = datetime(2021, 10, 4, 15, 56, tzinfo=UTC)


@cache
def _items() -> dict[str, list[Any]]:
    sim = Simulation(load_scenario("meta-2021-10-04"), load_catalog(), Places.default())
    found: dict[str, list[Any]] = {"posts": [], "probes": [], "routes": []}
    for traffic in sim.minutes(_FIRST, _LAST):
        found["posts"].extend(traffic.posts)
        found["probes"].extend(traffic.probes)
        found["routes"].extend(traffic.routes)
    return found


def _wired(detection_beside: bool) -> Callable[[str], Counter[Any]]:
    def make(kind: str) -> Counter[Any]:
        wiring = counting(Settings(), load_catalog(), detection_beside=detection_beside)
        return wiring.counters[kind]

    return make


# (kind, how the process makes it): every kind a process counts, as embedded and as a worker
COUNTERS = [
    (kind, role, _wired(role == "embedded"))
    for role in ("embedded", "worker")
    for kind in ("posts", "probes", "routes")
]
IDS = [f"{kind}-{role}" for kind, role, _ in COUNTERS]


def test_the_registry_holds_every_counter_the_process_wires() -> None:
    for beside in (True, False):
        wired = counting(Settings(), load_catalog(), detection_beside=beside).counters
        assert sorted(wired) == sorted({kind for kind, _, _ in COUNTERS})


def _merged(parts: Iterable[Counts]) -> Counts:
    total: Counts = {}
    for part in parts:
        for key, n in part.items():
            total[key] = total.get(key, 0) + n
    return total


@pytest.mark.parametrize(("kind", "role", "make"), COUNTERS, ids=IDS)
def test_nothing_in_nothing_out(kind: str, role: str, make: Callable[[str], Counter[Any]]) -> None:
    assert make(kind).count([]) == {}


@pytest.mark.parametrize(("kind", "role", "make"), COUNTERS, ids=IDS)
def test_counts_are_positive_per_series_and_minute(
    kind: str, role: str, make: Callable[[str], Counter[Any]]
) -> None:
    counts = make(kind).count(_items()[kind])
    assert counts, f"the sample of {kind} counted nothing: the check would prove nothing"
    first, last = int(_FIRST.timestamp()) // 60, int(_LAST.timestamp()) // 60
    for (key, minute), n in counts.items():
        assert isinstance(key, SeriesKey) and isinstance(minute, int) and isinstance(n, int)
        assert n > 0
        assert first <= minute < last  # an item counts in its own minute


@pytest.mark.parametrize(("kind", "role", "make"), COUNTERS, ids=IDS)
def test_counted_in_pieces_or_at_once_the_counts_agree(
    kind: str, role: str, make: Callable[[str], Counter[Any]]
) -> None:
    items = _items()[kind]
    at_once = make(kind).count(items)
    assert make(kind).count(items) == at_once  # a fresh counter, the same counts
    for sizes in ((1, 7, 50), (len(items) // 3 + 1,)):
        counter, pieces, at = make(kind), [], 0
        for size in itertools.cycle(sizes):
            if at >= len(items):
                break
            pieces.append(counter.count(items[at : at + size]))
            at += size
        assert _merged(pieces) == at_once, f"counted {sizes} at a time"
