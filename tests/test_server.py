"""A restarted server goes on with the incidents it had open, and catches up from the store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rasd.assembly import build_runtime
from rasd.catalog import load_catalog
from rasd.pipeline.checkpoint import warm_from_store
from rasd.pipeline.engine import DetectionEngine
from rasd.runtime import Runtime
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.server import ENGINE_STATE_KEY, checkpoint_engine, restore_engine
from rasd.settings import Settings

M0 = 28_480_000  # an epoch minute (2024-02-24)
GH = SeriesKey("github", REPORTS, WORLD)
SPIKE = range(M0 + 30, M0 + 70)


def _count(minute: int) -> int:
    usual = 3 + (minute * 7) % 5
    return usual * (40 if minute in SPIKE else 1)


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    rt = build_runtime(Settings(store_url="sqlite:///:memory:"))
    rt.store.add_counts({(GH, m): _count(m) for m in range(M0 - 2 * 1440, M0 + 120)})
    yield rt
    rt.store.close()


def _engine(runtime: Runtime) -> DetectionEngine:
    return DetectionEngine(runtime.store, load_catalog())


def _changes(engine: DetectionEngine, minutes: range) -> list[tuple[str, object]]:
    return [(str(c.kind), c.incident.to_dict()) for m in minutes for c in engine.tick(m)]


def test_a_restart_goes_on_with_the_incident_it_had_open(runtime: Runtime) -> None:
    never_stopped = _engine(runtime)
    warm_from_store(never_stopped, runtime.store, M0, days=2)
    before = _engine(runtime)
    warm_from_store(before, runtime.store, M0, days=2)
    assert _changes(before, range(M0, M0 + 40)) == _changes(never_stopped, range(M0, M0 + 40))
    assert before.tracker.open_incidents(), "the spike opens an incident"
    checkpoint_engine(runtime, before)

    after = _engine(runtime)
    assert restore_engine(runtime, after)
    assert after.last_minute == M0 + 39
    # The first report after the restart comes in minute 45, before minutes 40-45 are
    # ticked: those come from the store (minute 45's other reports were stored before the
    # restart), the minutes after from what the aggregator hands over.
    after.observe({(GH, M0 + 45): 1})
    resumed = []
    for m in range(M0 + 40, M0 + 120):
        if m > M0 + 45:
            after.observe({(GH, m): _count(m)})
        resumed.extend(_changes(after, range(m, m + 1)))
    assert resumed == _changes(never_stopped, range(M0 + 40, M0 + 120))
    (incident,) = after.tracker.incidents()
    assert incident.id == before.tracker.incidents()[0].id
    assert not incident.is_open


def test_a_state_that_cannot_be_read_starts_detection_afresh(runtime: Runtime) -> None:
    runtime.store.put_state(ENGINE_STATE_KEY, b"not a saved engine")
    engine = _engine(runtime)
    assert not restore_engine(runtime, engine)
    assert engine.last_minute is None
    assert not restore_engine(runtime, _engine(build_runtime(Settings(store_url="sqlite://"))))


def test_what_start_up_made_is_kept_out_of_the_collectors_passes() -> None:
    import gc

    from rasd.server import settle_heap

    made_at_start = [[i] for i in range(1000)]
    thresholds = gc.get_threshold()
    try:
        settle_heap()
        # the young are collected less often than the default's every 700 allocations
        assert gc.get_threshold()[0] > thresholds[0]
        assert gc.get_freeze_count() >= len(made_at_start)
        # the collector's generations no longer hold them: its passes do not walk them
        walked = {id(x) for x in gc.get_objects()}
        assert not any(id(x) in walked for x in made_at_start)
        made_later = [0]
        assert id(made_later) in {id(x) for x in gc.get_objects()}
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
