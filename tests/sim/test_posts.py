from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from rasd.catalog import Catalog
from rasd.ingest.places import Places
from rasd.sim import Simulation, load_scenario
from rasd.sim.post_text import LANGS


def _t(hour: int, minute: int = 0) -> datetime:
    return datetime(2021, 10, 4, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim(catalog: Catalog, places: Places) -> Simulation:
    return Simulation(load_scenario("meta-2021-10-04").scaled(0.1), catalog, places)


def _posts(sim: Simulation, a: datetime, b: datetime) -> list[Any]:
    return [p for t in sim.minutes(a, b, probes=False) for p in t.posts]


def test_posts_rise_with_the_reports_in_five_languages(sim: Simulation) -> None:
    before = _posts(sim, _t(15, 20), _t(15, 40))
    during = _posts(sim, _t(16, 0), _t(16, 20))
    assert len(during) > 20 * max(len(before), 1)
    langs = Counter(p.lang for p in during)
    assert set(langs) == set(LANGS)
    assert langs["en"] > langs["nl"] > 0 and langs["ar"] > 0
    # complaints name the service as people write it in that language
    arabic = [p.text for p in during if p.lang == "ar"]
    assert any("فيسبوك" in t or "واتساب" in t or "انستقرام" in t or "إنستغرام" in t for t in arabic)


def test_posts_are_well_formed_and_ordered(sim: Simulation) -> None:
    [traffic] = list(sim.minutes(_t(16, 5), _t(16, 6), probes=False))
    posts = traffic.posts
    assert posts and len({p.id for p in posts}) == len(posts)
    assert all(traffic.start <= p.created < _t(16, 6) for p in posts)
    assert [p.created for p in posts] == sorted(p.created for p in posts)
    assert all(p.country and len(p.country) == 2 and p.text for p in posts)


def test_recovery_posts_come_as_services_return(sim: Simulation) -> None:
    during = _posts(sim, _t(17, 0), _t(17, 20))
    back = _posts(sim, _t(21, 20), _t(21, 40))
    words = ("back", "again", "رجع", "من جديد", "wieder", "weer", "remarche", "revenu")

    def share(posts: list[Any]) -> float:
        return sum(any(w in p.text for w in words) for p in posts) / max(len(posts), 1)

    assert share(back) > 3 * share(during) + 0.05


def test_same_seed_same_posts(catalog: Catalog, places: Places) -> None:
    scenario = load_scenario("product-launch").scaled(0.2)
    a = Simulation(scenario, catalog, places)
    b = Simulation(scenario, catalog, places)
    when = (datetime(2024, 5, 13, 19, tzinfo=UTC), datetime(2024, 5, 13, 19, 10, tzinfo=UTC))
    first = [(p.id, p.text, p.created) for t in a.minutes(*when, probes=False) for p in t.posts]
    again = [(p.id, p.text, p.created) for t in b.minutes(*when, probes=False) for p in t.posts]
    assert first and first == again
