from __future__ import annotations

from pathlib import Path

import pytest

from rasd.errors import InvalidInput, NotFound
from rasd.sim import list_scenarios, load_scenario
from rasd.sim.scenario import parse_scenario

HEAD = """
name = "t"
title = "T"
title_ar = "ت"
description = "D"
description_ar = "و"
start = 2024-01-01T00:00:00Z
end = 2024-01-02T00:00:00Z
"""

OUTAGE = """
[[events]]
id = "down"
kind = "outage"
onset = 2024-01-01T10:00:00Z
total = 1000
services = ["facebook"]
"""


def _error(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_scenario(text, "bad.toml")
    return info.value


def test_builtins_load_and_carry_ground_truth() -> None:
    scenarios = list_scenarios()
    names = {s.name for s in scenarios}
    assert len(scenarios) >= 12
    assert "meta-2021-10-04" in names and "quiet-week" in names
    for scenario in scenarios:
        assert scenario.title and scenario.title_ar and scenario.description_ar
        truth = scenario.truth
        assert truth.quiet == (not truth.incidents)
        assert truth.events or scenario.name == "quiet-week"
        for incident in truth.incidents:
            assert scenario.start <= incident.start < incident.end <= scenario.end


def test_suite_covers_the_kinds_the_detector_must_face() -> None:
    kinds = {e.kind for s in list_scenarios() for e in s.events}
    assert kinds == {"outage", "spillover", "isp", "surge", "chatter", "bot_flood"}
    quiet = [s.name for s in list_scenarios() if s.truth.quiet]
    assert {"quiet-week", "bot-flood", "football-final", "new-year", "product-launch"} <= set(quiet)


def test_load_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(HEAD + OUTAGE, encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "t" and scenario.source == str(path)
    assert scenario.events[0].total == 1000


def test_unknown_name_is_not_found() -> None:
    with pytest.raises(NotFound) as info:
        load_scenario("no-such-scenario")
    assert "meta-2021-10-04" in info.value.details["available"]  # type: ignore[call-overload]


def test_bad_toml_syntax_names_the_file() -> None:
    err = _error(HEAD + "[[events]\n")
    assert err.message.startswith("bad.toml: (file): not valid TOML")


def test_unknown_key_names_file_and_key() -> None:
    err = _error(HEAD + OUTAGE + "colour = 'red'\n")
    assert err.message.startswith("bad.toml: events[0].colour:")
    assert err.details[0]["field"] == "events[0].colour"  # type: ignore[index]
    assert err.details[0]["file"] == "bad.toml"  # type: ignore[index]


def test_time_without_zone_is_refused() -> None:
    err = _error(HEAD + OUTAGE.replace("2024-01-01T10:00:00Z", "2024-01-01T10:00:00"))
    assert "events[0].onset" in err.message
    assert "timezone" in err.message


def test_outage_needs_a_total() -> None:
    err = _error(HEAD + OUTAGE.replace("total = 1000\n", ""))
    assert "events[0].total: a outage event needs it" in err.message


def test_spillover_must_name_an_earlier_event() -> None:
    spill = OUTAGE.replace('id = "down"', 'id = "spill"').replace('"outage"', '"spillover"')
    err = _error(HEAD + OUTAGE + spill.replace("total", 'of = "nothing"\ntotal'))
    assert "events[1].of: no earlier event is called 'nothing'" in err.message


def test_onset_outside_the_window() -> None:
    err = _error(HEAD + OUTAGE.replace("2024-01-01T10:00:00Z", "2024-02-01T10:00:00Z"))
    assert "events[0].onset: must fall inside" in err.message


def test_negative_share_and_unknown_kind() -> None:
    err = _error(HEAD + OUTAGE.replace('"outage"', '"meteor"'))
    assert "events[0].kind" in err.message
    bad_share = OUTAGE.replace('services = ["facebook"]', "") + (
        '[[events.services]]\nid = "facebook"\nshare = -1\n'
    )
    err = _error(HEAD + bad_share)
    assert "events[0].services[0].share" in err.message


def test_probe_outcomes_are_checked() -> None:
    probes = (
        "[[events.probes]]\nstart = 2024-01-01T10:00:00Z\nend = 2024-01-01T11:00:00Z\n"
        'dns = "broken"\n'
    )
    err = _error(HEAD + OUTAGE + probes)
    assert "events[0].probes[0].dns: not a probe outcome" in err.message


def test_scaled_copy_keeps_everything_else() -> None:
    meta = load_scenario("meta-2021-10-04")
    small = meta.scaled(0.01)
    assert small.scale == pytest.approx(0.01)
    assert small.events == meta.events and meta.scale == 1.0


def test_the_documented_example_is_valid() -> None:
    from importlib import resources

    readme = resources.files("rasd.sim").joinpath("scenarios/README.md").read_text("utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    scenario = parse_scenario(example, "README.md")
    [event] = scenario.events
    assert event.service_ids == ["youtube"] and event.probes[0].http == "http_5xx"
    assert scenario.truth.incidents[0].regions == ["BR", "AR"]
