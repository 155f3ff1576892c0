from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rasd.cli import app
from rasd.eval.findings import FoundIncident, assemble
from rasd.eval.scoring import Tally, detection_delay, end_error, matches, score
from rasd.eval.targets import checks
from rasd.sim.truth import GroundTruth, TruthEvent, TruthIncident

DAY = datetime(2024, 1, 1, tzinfo=UTC)
WINDOW_END = DAY + timedelta(days=1)


def at(hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return DAY + timedelta(hours=int(hours), minutes=int(minutes))


def true(service: str, role: str, event: str, start: str, end: str) -> TruthIncident:
    return TruthIncident(service, role, event, at(start), at(end), ["*"])  # type: ignore[arg-type]


def found(
    fid: str,
    service: str,
    start: str,
    end: str | None,
    detected: str,
    event: str | None = "E1",
    role: str | None = "primary",
) -> FoundIncident:
    return FoundIncident(
        fid,
        service,
        at(start),
        at(end) if end else None,
        at(detected),
        event,
        role,  # type: ignore[arg-type]
    )


TRUTH = GroundTruth(
    incidents=[
        true("fb", "primary", "a", "10:00", "12:00"),
        true("ig", "primary", "a", "10:00", "12:00"),
        true("tw", "spillover", "a", "10:30", "11:30"),
        true("gh", "primary", "b", "15:00", "16:00"),
        true("tg", "spillover", "a", "11:00", "11:40"),
    ],
    events=[
        TruthEvent("a", "outage", ["fb", "ig", "tw", "tg"], at("10:00"), at("12:00")),
        TruthEvent("b", "outage", ["gh"], at("15:00"), at("16:00")),
    ],
)

FOUND = [
    found("f1", "fb", "10:00", "12:05", "10:01"),
    found("f2", "ig", "10:01", "11:50", "10:03"),
    found("f3", "tw", "10:35", "11:20", "10:40", role="spillover"),
    found("f4", "gh", "15:02", None, "15:05"),  # wrongly grouped with a, and still open
    found("f5", "gh", "15:40", "15:58", "15:45"),  # the same outage told twice
    found("f6", "yt", "03:00", "03:20", "03:04", event="E2", role="spillover"),  # false
    found("f7", "fb", "20:00", "20:30", "20:03", event="E3"),  # false: long after fb's
]


def test_matching_needs_the_service_and_an_overlap_within_the_slack() -> None:
    t = true("fb", "primary", "a", "10:00", "12:00")
    assert matches(t, found("x", "fb", "12:10", "12:30", "12:12"), WINDOW_END, slack=10)
    assert not matches(t, found("x", "fb", "12:11", "12:30", "12:12"), WINDOW_END, slack=10)
    assert matches(t, found("x", "fb", "09:00", "09:50", "09:02"), WINDOW_END, slack=10)
    assert not matches(t, found("x", "fb", "09:00", "09:49", "09:02"), WINDOW_END, slack=10)
    assert not matches(t, found("x", "ig", "10:00", "12:00", "10:02"), WINDOW_END, slack=10)
    # an incident still open at the end of the window runs to it
    assert matches(t, found("x", "fb", "08:00", None, "08:02"), WINDOW_END, slack=0)


def test_delay_counts_to_the_end_of_the_opening_minute_and_end_error_is_signed() -> None:
    t = true("gh", "primary", "b", "15:00", "16:00")
    assert detection_delay(t, []) is None
    pair = [
        found("a", "gh", "15:40", "15:58", "15:45"),
        found("b", "gh", "15:02", "15:30", "15:05"),
    ]
    assert detection_delay(t, pair) == 6.0
    assert end_error(t, pair, WINDOW_END) == -2.0
    assert end_error(t, [found("c", "gh", "15:02", None, "15:05")], WINDOW_END) == 480.0


def test_scenario_figures_on_a_hand_made_truth() -> None:
    s = score(TRUTH, FOUND, window_start=DAY, window_end=WINDOW_END, services=10)
    t = s.tally
    assert (t.truth, t.found, t.missed, t.false, t.split) == (5, 7, 1, 2, 1)
    assert t.service_days == 10.0
    assert t.false_per_service_day == 0.2
    assert sorted(f.id for f in s.false) == ["f6", "f7"]
    assert t.delays == [2.0, 4.0, 11.0, 6.0]
    assert t.delay_median == 5.0 and t.delay_max == 11.0
    assert t.end_errors == [5.0, -10.0, -10.0, 480.0]
    assert t.end_error_median == 10.0
    # fb, ig, tw in one event is right; gh with them is wrong in three pairs of six
    assert (t.pairs, t.pairs_right, t.grouping_accuracy) == (6, 3, 0.5)
    # labelled spill-over: tw (right) and yt (false); true spill-over: tw (labelled), tg (missed)
    assert (t.spill_labelled, t.spill_labelled_right, t.spill_precision) == (2, 1, 0.5)
    assert (t.spill_truth, t.spill_truth_labelled, t.spill_recall) == (2, 1, 0.5)
    by_service = {o.truth.service: o for o in s.outcomes}
    assert by_service["gh"].found == ("f4", "f5")
    assert by_service["tg"].found == () and by_service["tg"].delay is None
    assert by_service["tw"].role == "spillover" and by_service["tw"].event == "E1"


def test_a_quiet_scenario_has_no_ratios_and_counts_every_incident_as_false() -> None:
    quiet = GroundTruth([], [])
    s = score(
        quiet,
        [found("q", "fb", "03:00", "03:30", "03:02")],
        window_start=DAY,
        window_end=DAY + timedelta(days=7),
        services=100,
    )
    t = s.tally
    assert (t.truth, t.found, t.missed, t.false) == (0, 1, 0, 1)
    assert t.false_per_service_day == 1 / 700
    assert t.grouping_accuracy is None and t.spill_precision is None
    assert t.spill_recall is None and t.delay_median is None and t.end_error_median is None
    assert [c.passed for c in checks("quiet-week", quiet, s)] == [False]
    assert "fb" in checks("quiet-week", quiet, s)[0].detail


def test_tallies_pool_across_scenarios() -> None:
    a = Tally(truth=2, found=3, false=1, service_days=10, pairs=1, pairs_right=1, delays=[1.0])
    b = Tally(truth=1, found=1, false=0, service_days=30, pairs=3, pairs_right=0, delays=[3.0])
    b.spill_labelled, b.spill_labelled_right, b.end_errors = 4, 3, [-4.0, 2.0]
    total = a + b
    assert (total.truth, total.found, total.false, total.service_days) == (3, 4, 1, 40)
    assert total.false_per_service_day == 0.025
    assert total.grouping_accuracy == 0.25
    assert total.spill_precision == 0.75
    assert total.delays == [1.0, 3.0] and total.delay_median == 2.0
    assert total.end_error_median == 3.0


@dataclass
class Snap:
    id: str
    service: str
    start: datetime
    end: datetime | None
    detected_at: datetime
    is_open: bool


def _event(
    eid: str, state: str, primary: dict[str, str], spill: dict[str, str], **kw: object
) -> dict[str, object]:
    return {
        "id": eid,
        "kind": kw.get("kind", "outage"),
        "state": state,
        "start": at("10:00").isoformat(),
        "primary": list(primary),
        "spillover": list(spill),
        "incidents": {**primary, **spill},
        "country": kw.get("country"),
        "merged_into": kw.get("merged_into"),
    }


def test_findings_take_event_and_role_from_the_events_as_they_ended() -> None:
    snaps = [
        Snap("i1", "fb", at("10:00"), at("12:00"), at("10:01"), False),
        Snap("i2", "tw", at("10:30"), at("11:00"), at("10:32"), False),
        Snap("i3", "gh", at("10:00"), at("10:20"), at("10:02"), False),
        Snap("i3b", "gh", at("12:00"), at("12:30"), at("12:03"), True),
        Snap("i4", "we", at("12:00"), at("12:40"), at("12:02"), False),
        Snap("i5", "yt", at("13:00"), at("13:10"), at("13:02"), False),
    ]
    events = [
        _event("E1", "resolved", {"fb": "i1"}, {"tw": "i2"}),
        _event("E2", "merged", {"gh": "i3"}, {}, merged_into="E3"),
        _event("E3", "active", {"gh": "i3b", "we": "i4"}, {}, kind="regional", country="EG"),
    ]
    got = assemble(snaps, events, {"i3": "E2", "i3b": "E3"})
    placed = {f.id: (f.event, f.role) for f in got.incidents}
    assert placed == {
        "i1": ("E1", "primary"),
        "i2": ("E1", "spillover"),
        "i3": ("E3", "primary"),  # its event was taken into the regional one
        "i3b": ("E3", "primary"),
        "i4": ("E3", "primary"),
        "i5": (None, None),
    }
    assert next(f for f in got.incidents if f.id == "i3b").end is None  # still open
    assert [(e.id, e.kind, e.country) for e in got.events] == [
        ("E1", "outage", None),
        ("E3", "regional", "EG"),
    ]


def _reference_truth() -> GroundTruth:
    apps = ["facebook", "instagram", "whatsapp", "messenger"]
    incidents = [true(s, "primary", "meta-backbone", "15:45", "22:45") for s in apps]
    incidents.append(true("twitter", "spillover", "meta-backbone", "16:05", "19:50"))
    event = TruthEvent("meta-backbone", "outage", [*apps, "twitter"], at("15:45"), at("22:45"))
    return GroundTruth(incidents, [event])


def test_reference_targets() -> None:
    truth = _reference_truth()
    good = [
        found("fb", "facebook", "15:45", "22:40", "15:46", event="meta"),
        found("ig", "instagram", "15:45", "22:40", "15:46", event="meta"),
        found("wa", "whatsapp", "15:45", "22:40", "15:47", event="meta"),
        found("ms", "messenger", "15:46", "22:40", "15:48", event="meta"),
        found("tw", "twitter", "16:06", "19:40", "16:10", event="meta", role="spillover"),
    ]
    s = score(truth, good, window_start=DAY, window_end=WINDOW_END, services=100)
    result = {c.name: c for c in checks("meta-2021-10-04", truth, s)}
    assert [c.passed for c in result.values()] == [True, True, True]
    assert result["event open <= 2 min after reports rise"].detail == "2 min"

    bad = [
        found("fb", "facebook", "15:45", "22:40", "15:47", event="meta"),  # one minute late
        found("ig", "instagram", "15:45", "22:40", "15:47", event="meta"),
        found("wa", "whatsapp", "15:45", "22:40", "15:47", event="other"),
        found("ms", "messenger", "15:46", "22:40", "15:48", event="meta"),
        found("tw", "twitter", "16:06", "19:40", "16:10", event="meta"),  # not told as echo
    ]
    s = score(truth, bad, window_start=DAY, window_end=WINDOW_END, services=100)
    result = {c.name: c for c in checks("meta-2021-10-04", truth, s)}
    assert [c.passed for c in result.values()] == [False, False, False]
    assert "whatsapp: other (primary)" in result["all four apps primary in one event"].detail
    assert "twitter (primary)" in result["spill-over services labelled as such"].detail
    # the reference targets are only for the reference event
    assert checks("another", truth, s) == []


SMALL = """
name = "tiny-github"
title = "GitHub fails for an hour"
title_ar = "يتعطل GitHub ساعة"
description = "A short window around one small outage."
description_ar = "نافذة قصيرة حول انقطاع صغير واحد."
start = 2024-02-20T12:30:00Z
end = 2024-02-20T14:30:00Z
seed = 103

[probes]
enabled = false

[[events]]
id = "github-outage"
kind = "outage"
onset = 2024-02-20T13:05:00Z
ramp_minutes = 6
peak_minutes = 35
recovery = 2024-02-20T14:00:00Z
decay_minutes = 20
total = 3_200
problems = { website = 0.5, uploads = 0.3, login = 0.2 }
services = ["github"]
"""


@pytest.mark.slow  # the whole catalog is watched: about 0.1 s a simulated minute
@pytest.mark.parametrize("reports_only", [False, True])
def test_the_command_runs_a_scenario_through_the_pipeline(
    tmp_path: Path, reports_only: bool
) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL, "utf-8")
    out = tmp_path / "figures.json"
    args = ["eval", "scenarios", "--only", str(path), "--history-days", "1", "--json", str(out)]
    result = CliRunner().invoke(app, [*args, "--reports-only"] if reports_only else args)
    assert result.exit_code == 0, result.output
    assert "detection on labelled scenarios" in result.output
    data = json.loads(out.read_text("utf-8"))
    assert data["reports_only"] is reports_only
    [only] = data["scenarios"]
    assert only["name"] == "tiny-github"
    assert only["run"]["minutes"] == 120 and only["run"]["reports"] > 3000
    assert (only["run"]["posts"] == 0) is reports_only
    got = only["score"]
    assert (got["truth_incidents"], got["missed"], got["false"]) == (1, 0, 0)
    [outcome] = got["outcomes"]
    assert outcome["service"] == "github" and outcome["found_role"] == "primary"
    assert 0 < outcome["delay_minutes"] <= 10
    assert abs(outcome["end_error_minutes"]) <= 20
    assert data["overall"]["found_incidents"] == 1


def test_the_command_says_which_scenario_is_unknown() -> None:
    result = CliRunner().invoke(app, ["eval", "scenarios", "--only", "no-such-scenario"])
    assert result.exit_code == 2
    assert "no-such-scenario" in result.output


@pytest.mark.parametrize("scale", [0.0, -1.0])
def test_the_scale_must_be_positive(scale: float) -> None:
    result = CliRunner().invoke(app, ["eval", "scenarios", "--scale", str(scale)])
    assert result.exit_code == 2


def test_select_scales_the_named_scenarios_and_defaults_to_all() -> None:
    from rasd.eval.scenarios import select
    from rasd.sim import list_scenarios

    [one] = select(["small-service"], 0.25)
    assert one.name == "small-service" and one.scale == 0.25
    every = select(None, 1.0)
    assert [s.name for s in every] == [s.name for s in list_scenarios()]
    assert len(every) >= 12


@pytest.mark.slow  # an hour of the reference event at full size: about 20 s of processor time
def test_the_reference_event_opens_within_two_minutes_from_reports_alone() -> None:
    from rasd.eval.scenarios import evaluate_one
    from rasd.eval.targets import REFERENCE, REFERENCE_MAX_DELAY
    from rasd.sim import load_scenario

    reference = load_scenario(REFERENCE)
    # the hour around the onset (15:45), at the scenario's own scale, seed and history
    hour = reference.model_copy(
        update={
            "start": datetime(2021, 10, 4, 15, 0, tzinfo=UTC),
            "end": datetime(2021, 10, 4, 16, 0, tzinfo=UTC),
        }
    )
    result = evaluate_one(hour, reports_only=True)
    stats = result.run.stats
    assert stats.reports > 100_000 and (stats.posts, stats.probes, stats.routes) == (0, 0, 0)
    [opened] = [c for c in result.checks if c.name.startswith("event open")]
    assert opened.passed, opened.detail
    apps = [o for o in result.score.outcomes if o.truth.role != "spillover"]
    first = min(o.delay for o in apps if o.delay is not None)
    assert 0 < first <= REFERENCE_MAX_DELAY
    assert result.score.tally.missed == 0 and result.score.tally.false == 0
