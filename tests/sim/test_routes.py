from collections import Counter
from datetime import timedelta

import pytest

from rasd.catalog import default_catalog
from rasd.errors import InvalidInput
from rasd.sim import Simulation, load_scenario
from rasd.sim.scenario import scenario_from_dict


def test_the_reference_day_withdraws_the_name_servers_then_announces_them_again() -> None:
    catalog = default_catalog()
    scenario = load_scenario("meta-2021-10-04")
    start = scenario.start + timedelta(hours=15, minutes=30)
    sim = Simulation(scenario.model_copy(update={"start": start}), catalog)
    withdrawn: Counter[str] = Counter()
    announced: Counter[str] = Counter()
    prefixes: set[str] = set()
    for minute in sim.minutes(posts=False):
        for u in minute.routes:
            at = u.ts.strftime("%H:%M")
            if u.announced and at != "15:30":  # the first minute carries the whole table
                announced[at] += 1
            elif not u.announced:
                withdrawn[at] += 1
                prefixes.add(u.prefix)
    assert set(withdrawn) == {"15:39", "15:40"} and withdrawn["15:39"] > withdrawn["15:40"]
    assert prefixes == set(catalog.owners["meta"].nameserver_prefixes)
    # outside the storm only the routine re-announcements of prefixes that are up
    storm = {at: n for at, n in announced.items() if "21:00" <= at <= "21:28"}
    assert max(n for at, n in announced.items() if at not in storm) <= 10
    back = sum(storm.values())
    assert back >= sum(withdrawn.values())  # every route withdrawn comes back
    around_peak = sum(n for at, n in storm.items() if "21:12" <= at < "21:22")
    assert around_peak > 0.45 * back


def test_route_failures_are_checked() -> None:
    base = load_scenario("meta-2021-10-04").model_dump(mode="json")
    base["events"][0]["routes"][0]["announce"] = "2021-10-04T15:00:00Z"
    with pytest.raises(InvalidInput, match="announce"):
        scenario_from_dict(base, "x.toml")
