from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rasd.clock import minute_of
from rasd.ingest.places import Places
from rasd.sim import Simulation, load_scenario
from rasd.sim.plan import event_span


def test_event_span_covers_every_service_and_relapse() -> None:
    meta = load_scenario("meta-2021-10-04")
    first, last = event_span(meta.event("meta-backbone"))
    assert first == minute_of(meta.event("meta-backbone").onset)
    whatsapp = meta.event("meta-backbone").services[2]
    assert whatsapp.relapses is not None
    assert last >= minute_of(whatsapp.relapses[0].at) + 60


def test_kinds_become_cells_surges_floods_and_hotspots(services: list[Any], places: Places) -> None:
    final = Simulation(load_scenario("football-final"), services, places)._plan
    assert len(final.surges) == 1 and [c.chatter for c in final.cells] == [True]
    flood = Simulation(load_scenario("bot-flood"), services, places)._plan
    assert len(flood.floods) == 1 and not flood.cells
    assert flood.floods[0].networks.shape == (2,) and flood.floods[0].reporters.shape == (8,)
    meta = Simulation(load_scenario("meta-2021-10-04").scaled(0.5), services, places)._plan
    assert [c.event for c in meta.cells] == ["meta-backbone", "meta-spillover", "meta-carriers"]
    assert len(meta.hotspots) == 1
    backbone = meta.cells[0]
    # rates add up to the event's total, at the scenario's scale
    assert backbone.rates.sum() == pytest.approx(10_700_000 * 0.5, rel=1e-6)
    assert np.all(backbone.rates >= 0) and np.all(backbone.recovery_posts >= 0)
