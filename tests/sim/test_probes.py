from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from rasd.assembly.signals import counting
from rasd.catalog import Catalog
from rasd.clock import minute_of
from rasd.ingest.places import Places
from rasd.settings import Settings
from rasd.signals.probes import ProbeState
from rasd.sim import Simulation, load_scenario
from rasd.sim.probes import pick_checks


def _t(hour: int, minute: int = 0) -> datetime:
    return datetime(2021, 10, 4, hour, minute, tzinfo=UTC)


def test_reference_event_dns_fails_from_every_vantage(catalog: Catalog, places: Places) -> None:
    sim = Simulation(load_scenario("meta-2021-10-04").scaled(0.001), catalog, places)
    before, during, after = (
        [r for t in sim.minutes(a, b, posts=False) for r in t.probes]
        for a, b in ((_t(15, 30), _t(15, 39)), (_t(15, 41), _t(15, 50)), (_t(21, 25), _t(21, 30)))
    )
    vantages = {r.vantage for r in during}
    assert len(vantages) == 5
    failing = Counter((r.service, r.kind, r.outcome) for r in during if r.failed)
    assert failing[("facebook", "dns", "servfail")] > 0
    assert failing[("whatsapp", "dns", "timeout")] > 0  # authoritative servers unreachable
    assert not any(r.service in ("twitter", "youtube") and r.failed for r in during)
    assert {r.rcode for r in during if r.service == "facebook" and r.outcome == "servfail"} == {
        "SERVFAIL"
    }
    assert sum(r.failed for r in before) < 0.003 * len(before)
    assert sum(r.failed for r in after) < 0.003 * len(after)
    # the probe evidence reaches a quorum of vantage points
    state = ProbeState()
    state.feed(during)
    assert state.evidence("facebook", sim.first_minute + 15 * 60 + 49).quorum


def test_a_few_checks_per_service_one_of_each_sort(catalog: Catalog) -> None:
    checks = pick_checks(catalog.subset(["facebook"]), ["1.1.1.1"], 3)
    sorts = [(c.kind, c.resolver == "authoritative") for c in checks]
    assert len(checks) == 3 and len(set(sorts)) == 3


def test_a_rounds_columns_count_and_vote_as_its_results(catalog: Catalog, places: Places) -> None:
    """The reference day's rounds as the replay draws them (columns) and as objects, through
    the counters of an embedded process: the same counts in the same order, the same state."""
    sim = Simulation(load_scenario("meta-2021-10-04").scaled(0.001), catalog, places)
    objects, columns = (counting(Settings(), catalog, detection_beside=True) for _ in range(2))
    first = minute_of(_t(15, 30))
    for minute in range(first, first + 30):
        cols = sim.probe_columns_of(minute)
        assert cols is not None and cols.checks is sim.probe_tables()[0]
        results = sim.probes_of(minute)
        assert cols.results() == results
        expected = objects.counters["probes"].count(results)
        assert list(columns.counters["probes"].count(cols).items()) == list(expected.items())
        a, b = objects.probe_state, columns.probe_state
        assert a is not None and b is not None
        assert [e.to_dict() for e in a.readings(minute).values()] == [
            e.to_dict() for e in b.readings(minute).values()
        ]
        assert [v.to_dict() for v in a.vantages()] == [v.to_dict() for v in b.vantages()]
    assert b is not None and any(e.quorum for e in b.readings(first + 29).values())
