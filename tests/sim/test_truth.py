from __future__ import annotations

from datetime import UTC, datetime

from rasd.sim import load_scenario


def test_reference_event_truth() -> None:
    truth = load_scenario("meta-2021-10-04").truth
    roles = {i.service: i.role for i in truth.incidents}
    for service in ("facebook", "instagram", "whatsapp", "messenger", "workplace", "oculus"):
        assert roles[service] == "primary"
    for service in ("twitter", "tiktok", "telegram", "signal", "google", "amazon", "verizon"):
        assert roles[service] == "spillover"
    assert {i.event for i in truth.incidents} == {"meta-backbone"}
    [event] = truth.events
    assert event.id == "meta-backbone" and "twitter" in event.services
    by = {i.service: i for i in truth.incidents}
    assert by["facebook"].start == datetime(2021, 10, 4, 15, 45, tzinfo=UTC)
    assert by["twitter"].start > by["facebook"].start
    assert by["twitter"].end < by["facebook"].end
    assert by["whatsapp"].end > by["facebook"].end  # it failed again after coming back
    assert by["facebook"].regions[:4] == ["*", "US", "DE", "NL"]
    assert by["verizon"].regions == ["US"]
    assert not truth.quiet


def test_isp_outage_is_regional_with_its_provider_primary() -> None:
    truth = load_scenario("isp-egypt").truth
    roles = {i.service: i.role for i in truth.incidents}
    assert roles.pop("we") == "primary"
    assert set(roles.values()) == {"regional"} and len(roles) >= 5
    assert all(i.regions == ["EG"] for i in truth.incidents)


def test_surges_floods_and_quiet_weeks_have_no_incident() -> None:
    for name in ("football-final", "new-year", "product-launch", "bot-flood", "quiet-week"):
        truth = load_scenario(name).truth
        assert truth.quiet and truth.incidents == []
    assert load_scenario("quiet-week").truth.events == []
    assert [e.kind for e in load_scenario("bot-flood").truth.events] == ["bot_flood"]


def test_truth_serialises() -> None:
    data = load_scenario("regional-outage").truth.to_dict()
    assert data["quiet"] is False
    assert data["incidents"][0]["regions"] == ["BR"]
    assert data["incidents"][0]["role"] == "regional"


def test_flapping_truth_lasts_until_the_last_relapse() -> None:
    scenario = load_scenario("flapping")
    [incident] = scenario.truth.incidents
    last = scenario.events[0].relapses[-1]
    assert incident.start == datetime(2024, 9, 14, 18, 0, tzinfo=UTC)
    assert incident.end >= last.at
    assert incident.role == "primary" and incident.regions == ["*"]
