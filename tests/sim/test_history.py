from __future__ import annotations

from typing import Any

import numpy as np

from rasd.ingest.places import Places
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.sim import Simulation, load_scenario


def test_history_has_world_and_country_series_with_a_daily_rhythm(
    services: list[Any], places: Places
) -> None:
    sim = Simulation(load_scenario("meta-2021-10-04"), services, places)
    history = sim.history(14)
    assert history.start_minute == sim.first_minute - 14 * 1440
    assert history.counts.dtype == np.int32 and history.minutes == 14 * 1440
    world = history.row(SeriesKey("facebook", REPORTS, WORLD))
    de = history.row(SeriesKey("facebook", REPORTS, "DE"))
    assert SeriesKey("we", REPORTS, "EG") in history.series
    assert SeriesKey("we", REPORTS, "US") not in history.series
    # a big service: tens of reports an hour worldwide in quiet times
    assert 15 < world.sum() / (14 * 24) < 100
    countries = [
        i for i, k in enumerate(history.series) if k.service == "facebook" and k.region != WORLD
    ]
    assert np.all(world >= history.counts[countries].sum(axis=0))
    # Berlin in October is UTC+2: local 02:00-05:00 is 00:00-03:00 UTC, 18:00-21:00 is 16-19 UTC
    by_hour = de.reshape(14, 24, 60).sum(axis=(0, 2))
    assert by_hour[0:3].sum() * 2.5 < by_hour[16:19].sum()


def test_history_is_the_same_for_the_same_seed(services: list[Any], places: Places) -> None:
    scenario = load_scenario("small-service")
    a = Simulation(scenario, services, places).history(1)
    b = Simulation(scenario, services, places).history(1)
    c = Simulation(scenario, services, places, seed=5).history(1)
    assert a.series == b.series and np.array_equal(a.counts, b.counts)
    assert not np.array_equal(a.counts, c.counts)
