"""Each role's process has the parts it needs, fixed once built; counting is wired one way."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from conftest import T0

from rasd.assembly import build_runtime, counting, embedded, worker
from rasd.assembly.signals import SharedProbeState
from rasd.bus.memory import InlineLog
from rasd.clock import VirtualClock
from rasd.runtime import Lazy, Runtime
from rasd.settings import Settings
from rasd.signals.probes import ProbeCounter


def _settings(*, cluster: bool = False) -> Settings:
    return Settings(store_url="sqlite:///:memory:", sources_enabled=False, cluster=cluster)


@pytest.fixture
def whole() -> Iterator[Runtime]:
    rt = embedded(_settings(), clock=VirtualClock(T0))
    yield rt
    rt.store.close()


def test_the_process_is_fixed_once_built(whole: Runtime) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        whole.engine = None  # type: ignore[misc]
    assert not hasattr(whole, "extras")


def test_embedded_counts_every_signal_and_detects_beside_counting(whole: Runtime) -> None:
    assert whole.aggregator is not None
    assert set(whole.aggregator.counters) == {"posts", "probes", "routes"}
    engine = whole.detector()
    assert engine.probe_state is whole.probe_state is not None
    assert engine.route_state is whole.route_state is not None
    assert engine.official is whole.official
    assert engine.observe in whole.aggregator._listeners


def test_a_worker_counts_with_the_counters_of_the_embedded_process(whole: Runtime) -> None:
    settings = _settings()
    runtime, counted = worker(settings, InlineLog(_nothing), runtime=whole)
    assert runtime is whole
    assert whole.aggregator is not None
    kinds = {kind: type(c) for kind, c in whole.aggregator.counters.items()}
    # the same counters, but no state kept beside counting: a worker's detector reads the store
    assert set(counted.counters) == set(kinds)
    assert isinstance(counted.counters["probes"], ProbeCounter)
    assert counted.probe_state is None and counted.route_state is None
    assert type(counted.counters["posts"]) is kinds["posts"]
    assert type(counted.counters["routes"]) is kinds["routes"]
    # each aggregator of a worker gets windows of its own
    assert counted.reports() is not counted.reports()
    beside = counting(settings, whole.catalog, detection_beside=True)
    assert isinstance(beside.probe_state, SharedProbeState)


def test_a_bare_process_has_no_engine_nor_other_counters() -> None:
    rt = build_runtime(_settings(), clock=VirtualClock(T0))
    try:
        assert rt.engine is None and rt.probe_state is None and rt.route_state is None
        assert rt.aggregator is not None and rt.aggregator.counters == {}
        with pytest.raises(LookupError):
            rt.detector()
    finally:
        rt.store.close()


def test_embedded_is_not_a_cluster_role() -> None:
    with pytest.raises(ValueError, match="cluster"):
        embedded(_settings(cluster=True))


def test_a_lazy_part_is_made_once_and_only_when_asked() -> None:
    made: list[int] = []

    def make() -> list[int]:
        made.append(1)
        return [len(made)]

    part: Lazy[list[int]] = Lazy()
    assert part.made is None
    first = part.get(make)
    assert part.get(make) is first is part.made
    assert made == [1]


async def _nothing(kind: str, payload: object, msg_id: str) -> None:
    return None
