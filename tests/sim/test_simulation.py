from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from rasd.clock import minute_of
from rasd.errors import InvalidInput
from rasd.ingest.places import Places
from rasd.signals.probes import ProbeColumns
from rasd.signals.reports import ReportColumns
from rasd.sim import Simulation, load_scenario
from rasd.sim.lookahead import can_look_ahead
from rasd.sim.scenario import parse_scenario

SCALE = 0.05
META = ("facebook", "instagram", "whatsapp", "messenger", "workplace", "oculus")


def _t(hour: int, minute: int = 0, day: int = 4) -> datetime:
    return datetime(2021, 10, day, hour, minute, tzinfo=UTC)


@dataclass
class Day:
    sim: Simulation
    per_minute: npt.NDArray[np.int64]  # (minutes, services)
    primary_by_country: dict[str, int]
    total: int


@pytest.fixture(scope="module")
def meta_day(services: list[Any], places: Places) -> Day:
    """The reference day at 5 % scale, counted per minute and service."""
    sim = Simulation(load_scenario("meta-2021-10-04").scaled(SCALE), services, places)
    n_s = len(sim.service_ids)
    per_minute = np.zeros((sim.total_minutes, n_s), dtype=np.int64)
    primary = np.array([sid in META for sid in sim.service_ids])
    country_of_place = np.array([p.split("/", 1)[0] for p in sim.places])
    codes, place_country = np.unique(country_of_place, return_inverse=True)
    by_country = np.zeros(len(codes), dtype=np.int64)
    total = 0
    for i, traffic in enumerate(sim.minutes(posts=False, probes=False)):
        r = traffic.reports
        total += len(r)
        per_minute[i] = np.bincount(r.service, minlength=n_s)
        mask = primary[r.service]
        by_country += np.bincount(place_country[r.place[mask]], minlength=len(codes))
    return Day(sim, per_minute, dict(zip(codes.tolist(), by_country.tolist(), strict=True)), total)


def _series(day: Day, service: str) -> npt.NDArray[np.int64]:
    column: npt.NDArray[np.int64] = day.per_minute[:, day.sim.service_ids.index(service)]
    return column


def _at(day: Day, when: datetime) -> int:
    return minute_of(when) - day.sim.first_minute


def test_window_and_counts(meta_day: Day) -> None:
    sim = meta_day.sim
    assert sim.start == _t(0) and sim.end == _t(0, day=5) and sim.total_minutes == 1440
    # over 10.6 million reports at full scale
    assert meta_day.total > 10_600_000 * SCALE
    assert abs(meta_day.total - sim.expected_reports()) < 0.01 * meta_day.total


def test_country_shares_follow_the_facts(meta_day: Day) -> None:
    expected = {"US": 1_700_000, "DE": 1_300_000, "NL": 915_000}
    for code, reports in expected.items():
        got = meta_day.primary_by_country[code] / SCALE
        assert abs(got - reports) < 0.03 * reports, (code, got)
    # the rest of the world reports too, Germany ahead of France
    assert meta_day.primary_by_country["FR"] > 0.01 * meta_day.total
    assert meta_day.primary_by_country["DE"] > meta_day.primary_by_country["FR"]


def test_outage_starts_at_the_first_reports(meta_day: Day) -> None:
    facebook = _series(meta_day, "facebook")
    quiet = facebook[_at(meta_day, _t(12)) : _at(meta_day, _t(15, 44))]
    assert quiet.max() <= 3
    assert facebook[_at(meta_day, _t(15, 50))] > 50 * max(quiet.mean(), 0.1)
    peak = int(np.argmax(facebook))
    assert _at(meta_day, _t(15, 55)) <= peak <= _at(meta_day, _t(17, 30))


def test_primaries_in_order_of_the_early_counts(meta_day: Day) -> None:
    totals = {s: int(_series(meta_day, s).sum()) for s in META}
    assert totals["facebook"] > totals["instagram"] > totals["whatsapp"] > totals["messenger"]
    assert totals["messenger"] > totals["workplace"] > totals["oculus"] > 0


def test_spillover_is_later_smaller_and_shorter(meta_day: Day) -> None:
    facebook, twitter = _series(meta_day, "facebook"), _series(meta_day, "twitter")
    baseline = twitter[: _at(meta_day, _t(15))].mean()

    def first_above(series: npt.NDArray[np.int64], level: float) -> int:
        return int(np.flatnonzero(series > level)[0])

    def last_above(series: npt.NDArray[np.int64], level: float) -> int:
        return int(np.flatnonzero(series > level)[-1])

    level = 10 * max(baseline, 0.1)
    assert first_above(twitter, level) > first_above(facebook, level)
    assert last_above(twitter, level) < last_above(facebook, level)
    assert twitter.sum() < 0.1 * facebook.sum()
    for service in ("tiktok", "telegram", "signal", "google", "amazon"):
        series = _series(meta_day, service)
        assert series[_at(meta_day, _t(16, 30))] > 5 * max(series[:900].mean(), 0.1)
        assert series.sum() < twitter.sum()


def test_whatsapp_fails_again_after_coming_back(meta_day: Day) -> None:
    whatsapp, facebook = _series(meta_day, "whatsapp"), _series(meta_day, "facebook")
    dip = whatsapp[_at(meta_day, _t(21, 38)) : _at(meta_day, _t(21, 44))].mean()
    relapse = whatsapp[_at(meta_day, _t(21, 58)) : _at(meta_day, _t(22, 15))].mean()
    assert relapse > 3 * dip
    # Facebook keeps fading meanwhile
    fb_dip = facebook[_at(meta_day, _t(21, 38)) : _at(meta_day, _t(21, 44))].mean()
    assert facebook[_at(meta_day, _t(21, 58)) : _at(meta_day, _t(22, 15))].mean() < fb_dip


def test_same_seed_same_output_other_seed_other_output(services: list[Any], places: Places) -> None:
    scenario = load_scenario("meta-2021-10-04").scaled(0.01)
    window = (_t(15, 44), _t(15, 50))

    def run(seed: int | None) -> list[ReportColumns]:
        sim = Simulation(scenario, services, places, seed=seed)
        return [t.reports for t in sim.minutes(*window)]

    first, again, other = run(None), run(None), run(7)
    assert len(first) == 6
    for a, b in zip(first, again, strict=True):
        for name in ("ts_ms", "service", "problem", "place", "reporter", "network"):
            assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(first[-1].reporter[:10], other[-1].reporter[:10])


def test_a_slice_equals_the_same_minutes_of_a_longer_run(
    services: list[Any], places: Places
) -> None:
    sim = Simulation(load_scenario("meta-2021-10-04").scaled(0.01), services, places)
    long = list(sim.minutes(_t(15, 50), _t(15, 56)))
    short = list(sim.minutes(_t(15, 53), _t(15, 56)))
    assert [t.minute for t in short] == [t.minute for t in long[3:]]
    for a, b in zip(long[3:], short, strict=True):
        assert np.array_equal(a.reports.reporter, b.reports.reporter)


@pytest.mark.skipif(not can_look_ahead(), reason="drawing ahead needs a system that forks")
def test_minutes_drawn_ahead_are_the_minutes_drawn_here(
    services: list[Any], places: Places
) -> None:
    sim = Simulation(load_scenario("meta-2021-10-04").scaled(0.01), services, places)
    here = list(sim.minutes(_t(15, 44), _t(15, 52)))
    ahead = list(sim.minutes(_t(15, 44), _t(15, 52), ahead=True))
    assert [t.minute for t in ahead] == [t.minute for t in here]
    for a, b in zip(here, ahead, strict=True):
        for name in ("ts_ms", "service", "problem", "place", "reporter", "network"):
            assert np.array_equal(getattr(a.reports, name), getattr(b.reports, name))
        assert b.reports.places is sim.places  # the tables are this process's own
        # probe results come as columns that stand for the very same results
        assert isinstance(b.probes, ProbeColumns) and b.probes.checks is sim.probe_tables()[0]
        assert (a.posts, list(a.probes), a.routes) == (b.posts, b.probes.results(), b.routes)
    assert sum(len(t.reports) for t in ahead) > 0 and any(t.posts for t in ahead)
    assert any(r.failed for t in ahead for r in t.probes)


def test_a_replay_stopped_early_stops_the_drawing_ahead(
    services: list[Any], places: Places
) -> None:
    sim = Simulation(load_scenario("meta-2021-10-04").scaled(0.01), services, places)
    minutes = sim.minutes(_t(15, 44), _t(16, 44), ahead=True)
    assert next(minutes).minute == minute_of(_t(15, 44))
    minutes.close()
    assert not [p for p in multiprocessing.active_children() if p.name == "rasd-sim-ahead"]


def test_columns_are_well_formed(meta_day: Day) -> None:
    sim = meta_day.sim
    [traffic] = list(sim.minutes(_t(16), _t(16, 1)))
    r = traffic.reports
    assert traffic.minute == minute_of(_t(16))
    assert np.all(np.diff(r.ts_ms) >= 0)
    assert r.ts_ms[0] >= traffic.minute * 60_000 and r.ts_ms[-1] < (traffic.minute + 1) * 60_000
    assert r.services == sim.service_ids and r.places == sim.places
    assert r.place.max() < len(r.places) and r.problem.max() < len(r.problems)
    # people, not bots: nearly every report has its own key, networks are many
    assert len(np.unique(r.reporter)) > 0.98 * len(r)
    assert len(np.unique(r.network)) > 0.9 * len(r)
    # the outage shifts the problem mix towards app, login and connection
    problems = np.array(r.problems)[r.problem[r.service == sim.service_ids.index("facebook")]]
    share = np.isin(problems, ["app", "login", "connection"]).mean()
    assert share > 0.95


def test_named_dense_places_stand_out(meta_day: Day) -> None:
    sim = meta_day.sim
    [traffic] = list(sim.minutes(_t(16, 30), _t(16, 31)))
    r = traffic.reports
    places = np.array(r.places)[r.place]
    for city, bigger in (("US/Washington", "US/Chicago"), ("AE/Dubai", "AE/Abu Dhabi")):
        assert (places == city).sum() > (places == bigger).sum()


def test_unknown_service_is_named(services: list[Any], places: Places) -> None:
    text = load_scenario("small-service").model_dump_json()
    assert "github" in text
    scenario = parse_scenario(
        """
name = "x"
title = "X"
title_ar = "س"
description = "D"
description_ar = "و"
start = 2024-01-01T00:00:00Z
end = 2024-01-01T01:00:00Z
[[events]]
id = "e"
kind = "outage"
onset = 2024-01-01T00:10:00Z
total = 10
services = ["facebook", "no-such-service"]
""",
        "x.toml",
    )
    with pytest.raises(InvalidInput) as info:
        Simulation(scenario, services, places)
    assert info.value.message.startswith("x.toml: events[0].services[1]: unknown service")


def test_bot_flood_uses_few_networks_and_keys(services: list[Any], places: Places) -> None:
    sim = Simulation(load_scenario("bot-flood"), services, places)
    onset = datetime(2024, 4, 2, 14, 10, tzinfo=UTC)
    reports = [t.reports for t in sim.minutes(onset, onset + timedelta(minutes=5))]
    instagram = sim.service_ids.index("instagram")
    nyc = sim.places.index("US/New York City")
    flood_rows = [
        (r.reporter[m], r.network[m])
        for r in reports
        if (m := (r.service == instagram) & (r.place == nyc)).any()
    ]
    keys = np.concatenate([k for k, _ in flood_rows])
    nets = np.concatenate([n for _, n in flood_rows])
    assert len(keys) > 5 * 150  # about 200 a minute
    assert len(np.unique(nets)) <= 3 and len(np.unique(keys)) <= 9


def test_isp_outage_stays_in_its_country(services: list[Any], places: Places) -> None:
    sim = Simulation(load_scenario("isp-egypt"), services, places)
    extra = sim.expected_event_reports("we-egypt")
    assert {country for _, country in extra} == {"EG"}
    assert max(extra, key=lambda k: extra[k]) == ("we", "EG")
    assert sum(extra.values()) == pytest.approx(36_000, rel=0.01)


def test_surge_adds_a_little_everywhere_it_reaches(services: list[Any], places: Places) -> None:
    final = load_scenario("football-final")
    calm = final.model_copy(update={"events": []})
    busy = Simulation(final, services, places).expected_reports()
    normal = Simulation(calm, services, places).expected_reports()
    assert normal < busy < 1.5 * normal


def test_every_builtin_runs_on_the_catalog(catalog: Any, places: Places) -> None:
    from rasd.sim import list_scenarios

    for scenario in list_scenarios():
        sim = Simulation(scenario.scaled(0.01), catalog, places)
        onset = scenario.events[0].onset if scenario.events else scenario.start
        minutes = list(sim.minutes(onset, onset + timedelta(minutes=2), posts=False))
        assert len(minutes) == 2 and minutes[0].probes
        assert sim.expected_reports() > 0


def test_ingest_limits_drop_the_flood_but_keep_the_outage(
    services: list[Any], places: Places
) -> None:
    from rasd.signals.reports import ReportCounter

    flood = Simulation(load_scenario("bot-flood"), services, places)
    at = datetime(2024, 4, 2, 14, 5, tzinfo=UTC)
    counter = ReportCounter()
    taken = sent = 0
    for traffic in flood.minutes(at, at + timedelta(minutes=20), posts=False, probes=False):
        result = counter.count(traffic.reports)
        sent += len(traffic.reports)
        taken += result.counted
    assert sent > 3000 and taken < 0.05 * sent

    outage = Simulation(load_scenario("meta-2021-10-04").scaled(0.2), services, places)
    counter = ReportCounter()
    taken = sent = 0
    for traffic in outage.minutes(_t(16), _t(16, 5), posts=False, probes=False):
        result = counter.count(traffic.reports)
        sent += len(traffic.reports)
        taken += result.counted
    assert sent > 20_000 and taken > 0.98 * sent


def test_facebook_comes_back_in_the_united_states_first(meta_day: Day) -> None:
    sim = meta_day.sim
    extra = sim.expected_event_reports("meta-backbone")
    assert extra[("facebook", "US")] == pytest.approx(0.34 * 1_700_000 * SCALE, rel=0.01)
    facebook, instagram = sim.service_ids.index("facebook"), sim.service_ids.index("instagram")
    country = np.array([p.split("/")[0] for p in sim.places])

    def facebook_to_instagram(code: str, a: datetime, b: datetime) -> float:
        fb = ig = 0
        for traffic in sim.minutes(a, b, posts=False, probes=False):
            r = traffic.reports
            here = country[r.place] == code
            fb += int((here & (r.service == facebook)).sum())
            ig += int((here & (r.service == instagram)).sum())
        return fb / max(ig, 1)

    # the same country, so the same hour of the day: only the recovery differs
    late, early = (_t(21, 40), _t(21, 50)), (_t(20, 20), _t(20, 30))
    assert facebook_to_instagram("US", *late) < 0.7 * facebook_to_instagram("US", *early)
    assert facebook_to_instagram("DE", *late) > 0.8 * facebook_to_instagram("DE", *early)


def test_reports_only_use_problem_types_their_service_offers() -> None:
    from datetime import timedelta

    from rasd.catalog import load_catalog
    from rasd.ingest.places import Places
    from rasd.sim import Simulation, load_scenario

    catalog = load_catalog()
    sim = Simulation(load_scenario("meta-2021-10-04").scaled(0.01), catalog, Places.default())
    first = sim.start + timedelta(hours=16)
    seen = 0
    for traffic in sim.minutes(first, first + timedelta(minutes=3)):
        cols = traffic.reports
        for s, p in zip(cols.service.tolist(), cols.problem.tolist(), strict=True):
            assert cols.problems[p] in catalog.get(cols.services[s]).problems
            seen += 1
    assert seen > 100
