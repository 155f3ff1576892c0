import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from rasd.clock import minute_of, minute_start
from rasd.detect.fusion import FusedEvidence, Level, Reason
from rasd.incidents import (
    IncidentChange,
    IncidentState,
    IncidentTracker,
    fold_changes,
    poisson_tail,
)

T0 = minute_of(datetime(2021, 10, 4, 15, 0, tzinfo=UTC))
OK, POSSIBLE, DETECTED = Level.OK, Level.POSSIBLE, Level.DETECTED
# These tests follow the minutes of persistence with counts far above the usual level; the
# burst rule, which would open on the first of them, has tests of its own (BURST).
SETTINGS: dict[str, Any] = {
    "burst_excess": math.inf,
    "open_after": 3,
    "escalate_after": 2,
    "recover_after": 3,
    "resolve_after": 10,
    "resolve_after_recovered": 4,
    "relapse_window": 30,
}


def fused(level: Level, score: float | None = None, **kw: Any) -> FusedEvidence:
    if score is None:
        score = {OK: 0.05, POSSIBLE: 0.6, DETECTED: 0.9}[level]
    return FusedEvidence(score=score, level=level, **kw)


class Feed:
    """Drives one service through the tracker, minute after minute."""

    def __init__(self, tracker: IncidentTracker, service: str = "facebook", start: int = T0):
        self.tracker = tracker
        self.service = service
        self.minute = start - 1
        self.log: list[tuple[int, IncidentChange]] = []

    def step(
        self,
        level: Level,
        observed: float = 5.0,
        expected: float = 5.0,
        regions: Mapping[str, tuple[float, float]] | None = None,
        score: float | None = None,
        **kw: Any,
    ) -> list[IncidentChange]:
        self.minute += 1
        changes = self.tracker.update(
            self.minute, self.service, fused(level, score, **kw), observed, expected, regions
        )
        self.log.extend((self.minute, c) for c in changes)
        return changes

    def run(
        self, n: int, level: Level, observed: float = 5.0, expected: float = 5.0, **kw: Any
    ) -> None:
        for _ in range(n):
            self.step(level, observed, expected, **kw)

    def kinds(self) -> list[str]:
        return [c.kind for _, c in self.log]


def test_opens_only_after_persistence() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(10, OK)
    assert feed.step(POSSIBLE, 60) == []
    assert feed.step(POSSIBLE, 60) == []
    feed.step(OK)  # a single normal minute breaks the run
    assert feed.step(POSSIBLE, 60) == []
    assert feed.step(POSSIBLE, 60) == []
    (change,) = feed.step(POSSIBLE, 60)
    assert change.kind == "opened"
    incident = change.incident
    assert incident.state is IncidentState.OPENED
    assert incident.level is POSSIBLE
    assert incident.detected_at == minute_start(feed.minute)
    assert incident.service == "facebook"
    assert incident.id == f"facebook-{incident.start:%Y%m%dT%H%MZ}"
    assert feed.tracker.open_incidents() == [feed.tracker.incident("facebook")]


BURST = {**SETTINGS, "burst_ratio": 10.0, "burst_excess": 100.0}


def test_a_burst_of_reports_opens_at_once_before_the_score_says_possible() -> None:
    feed = Feed(IncidentTracker(**BURST))
    feed.run(20, OK, 8, 8)
    onset = feed.minute + 1
    feed.step(OK, 40, 8, score=0.4)  # the ramp's first minute: elevated, not a burst
    # 12 times the usual level and 184 above it: the score has not caught up yet
    (change,) = feed.step(OK, 192, 8, score=0.4)
    assert change.kind == "opened"
    assert change.incident.detected_at == minute_start(feed.minute)
    assert change.incident.start == minute_start(onset)
    assert change.incident.level is POSSIBLE
    feed.run(3, POSSIBLE, 400, 8)
    # the same incident goes on (told "updated" as its peak grows)
    assert [i.id for i in feed.tracker.open_incidents()] == [change.incident.id]
    assert feed.kinds().count("opened") == 1


@pytest.mark.parametrize(
    ("observed", "expected"),
    [
        (90.0, 2.0),  # 45 times the usual level, but 88 reports above it: a handful
        (1900.0, 200.0),  # 1,700 above, but 9.5 times the level: a busy service's swing
    ],
)
def test_a_minute_short_of_either_bound_waits_for_the_minutes_of_alarm(
    observed: float, expected: float
) -> None:
    feed = Feed(IncidentTracker(**BURST))
    feed.run(20, OK, expected, expected)
    feed.step(OK, observed, expected, score=0.4)
    feed.step(POSSIBLE, observed, expected)
    feed.step(POSSIBLE, observed, expected)
    assert feed.kinds() == []
    (change,) = feed.step(POSSIBLE, observed, expected)
    assert change.kind == "opened"


def test_no_burst_opens_during_announced_maintenance() -> None:
    feed = Feed(IncidentTracker(**BURST))
    feed.run(5, OK, 5, 5)
    said = (Reason("maintenance", "official", 0.0, 0.0, 0.0),)
    feed.run(5, OK, 900, 5, score=0.0, reasons=said)
    assert feed.kinds() == []


def test_a_burst_reopens_a_resolved_incident_at_once() -> None:
    feed = Feed(IncidentTracker(**BURST))
    feed.run(3, POSSIBLE, 50, 5)
    feed.run(12, OK, 5, 5)
    assert feed.kinds() == ["opened", "recovering", "resolved"]
    (change,) = feed.step(OK, 600, 5, score=0.4)
    assert change.kind == "reopened"
    assert change.incident.relapses == 1


def test_onset_is_set_back_to_when_reports_first_rose() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(20, OK, 5, 5)
    onset = feed.minute + 1
    # The reports leave their usual level four minutes before the detector says anything.
    feed.run(4, OK, 30, 5, score=0.6)
    feed.run(3, POSSIBLE, 60, 5)
    ((_, change),) = feed.log
    assert change.kind == "opened"
    assert change.incident.start == minute_start(onset)
    assert change.incident.detected_at == minute_start(onset + 6)


def test_onset_tolerates_one_normal_minute_but_not_two() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(10, OK)
    feed.step(OK, 40)  # an early rise, cut off by two normal minutes
    feed.run(2, OK)
    first = feed.minute + 1
    feed.step(OK, 40)
    feed.step(OK, 5)  # one normal-looking minute inside the rise
    feed.run(3, POSSIBLE, 50)
    ((_, change),) = feed.log
    assert change.incident.start == minute_start(first)


def test_onset_is_the_opening_minute_when_nothing_came_before() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(3, POSSIBLE, 50)  # the very first minutes the tracker sees
    ((_, change),) = feed.log
    assert change.incident.start == minute_start(T0)


def test_escalates_after_persistent_detected() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(3, POSSIBLE, 40)
    assert feed.kinds() == ["opened"]
    feed.step(DETECTED, 40)
    assert feed.kinds() == ["opened"]
    (change,) = feed.step(DETECTED, 40)
    assert change.kind == "escalated"
    assert change.incident.level is DETECTED
    assert change.incident.state is IncidentState.ONGOING


def test_opens_at_detected_when_detected_long_enough() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(3, DETECTED, 900)
    ((_, change),) = feed.log
    assert change.kind == "opened"
    assert change.incident.level is DETECTED
    assert change.incident.max_level is DETECTED


def test_deescalates_when_evidence_weakens_for_long() -> None:
    feed = Feed(IncidentTracker(**SETTINGS, deescalate_after=3))
    feed.run(4, DETECTED, 900)
    feed.run(2, POSSIBLE, 50)
    assert feed.kinds() == ["opened"]
    (change,) = feed.step(POSSIBLE, 50)
    assert change.kind == "updated"
    assert change.incident.level is POSSIBLE
    assert change.incident.max_level is DETECTED


def test_recovers_then_resolves_after_a_quiet_period() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(10, OK)
    feed.run(20, DETECTED, 500, 5)
    last_bad = feed.minute
    feed.run(2, OK, 5, 5)
    assert feed.kinds() == ["opened"]
    (change,) = feed.step(OK, 5, 5)
    assert change.kind == "recovering"
    assert change.incident.state is IncidentState.RECOVERING
    assert change.incident.end is None
    feed.run(6, OK, 5, 5)
    assert feed.kinds() == ["opened", "recovering"]
    (change,) = feed.step(OK, 5, 5)  # the tenth quiet minute
    assert change.kind == "resolved"
    incident = change.incident
    assert incident.state is IncidentState.RESOLVED
    assert incident.end == minute_start(last_bad + 1)
    assert not incident.is_open
    assert feed.tracker.open_incidents() == []
    assert feed.tracker.incident("facebook") == incident


def test_end_is_set_back_to_when_reports_came_back() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(5, DETECTED, 500, 5)
    feed.run(3, OK, 40, 5)  # the level cleared but reports still above their usual level
    back = feed.minute + 1
    feed.run(12, OK, 5, 5)
    resolved = [c for _, c in feed.log if c.kind == "resolved"]
    assert resolved[0].incident.end == minute_start(back)


def test_noise_inside_the_quiet_period_restarts_the_count() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(5, DETECTED, 500, 5)
    feed.run(8, OK)
    feed.step(POSSIBLE, 30)  # one noisy minute: not a relapse, but not quiet either
    feed.run(9, OK)
    assert feed.kinds() == ["opened", "recovering"]
    feed.step(OK)
    assert feed.kinds() == ["opened", "recovering", "resolved"]


def test_recovery_posts_shorten_the_quiet_period() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(5, DETECTED, 500, 5)
    (change,) = feed.step(OK, recovery=0.95)
    assert change.kind == "recovering"
    feed.run(2, OK)
    (change,) = feed.step(OK)
    assert change.kind == "resolved"  # four quiet minutes instead of ten


def test_healthy_probes_shorten_only_after_probes_failed() -> None:
    failed = Feed(IncidentTracker(**SETTINGS))
    failed.run(5, DETECTED, 500, 5, probe_level=DETECTED)
    failed.run(4, OK, probes_healthy=True)
    assert failed.kinds() == ["opened", "recovering", "resolved"]
    assert failed.log[-1][1].incident.probe_failures

    never_failed = Feed(IncidentTracker(**SETTINGS))
    never_failed.run(5, DETECTED, 500, 5, probes_healthy=True)
    never_failed.run(4, OK, probes_healthy=True)
    assert never_failed.kinds() == ["opened", "recovering"]
    assert not never_failed.log[-1][1].incident.probe_failures


def test_recovering_service_that_fails_again_is_a_relapse() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(5, DETECTED, 500, 5)
    feed.run(3, OK)
    feed.run(2, POSSIBLE, 80)
    assert feed.kinds() == ["opened", "recovering"]
    (change,) = feed.step(POSSIBLE, 80)
    assert change.kind == "reopened"
    assert change.incident.state is IncidentState.ONGOING
    assert change.incident.relapses == 1
    assert change.incident.end is None


def test_relapse_soon_after_resolving_reopens_the_same_incident() -> None:
    tracker = IncidentTracker(**SETTINGS)
    feed = Feed(tracker, "whatsapp")
    feed.run(10, OK)
    feed.run(30, DETECTED, 800, 10)
    feed.run(13, OK, 10, 10)
    resolved = feed.log[-1][1].incident
    assert resolved.state is IncidentState.RESOLVED
    feed.run(5, OK, 10, 10)
    feed.run(3, DETECTED, 300, 10)  # WhatsApp fails again after coming back
    change = feed.log[-1][1]
    assert change.kind == "reopened"
    again = change.incident
    assert again.id == resolved.id
    assert again.start == resolved.start
    assert again.end is None
    assert again.relapses == 1
    assert again.state is IncidentState.OPENED
    assert again.level is DETECTED
    assert again.severity.excess_total > resolved.severity.excess_total
    feed.step(DETECTED, 300, 10)
    assert tracker.incident("whatsapp").state is IncidentState.ONGOING  # type: ignore[union-attr]


def test_a_rise_long_after_the_end_is_a_new_incident() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(5, DETECTED, 800, 10)
    feed.run(13, OK, 10, 10)
    first = feed.log[-1][1].incident
    feed.run(40, OK, 10, 10)
    feed.run(3, DETECTED, 300, 10)
    change = feed.log[-1][1]
    assert change.kind == "opened"
    assert change.incident.id != first.id
    assert change.incident.relapses == 0
    assert change.incident.start > first.end  # type: ignore[operator]


def test_peak_and_severity() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(5, OK, 10, 10)
    for observed in (50, 400, 2000, 1500, 900):
        feed.step(DETECTED, observed, 10)
    peak_minute = feed.minute - 2
    incident = feed.tracker.incident("facebook")
    assert incident is not None
    assert incident.peak.observed == 2000
    assert incident.peak.expected == 10
    assert incident.peak.at == minute_start(peak_minute)
    assert incident.peak.ratio == pytest.approx(2001 / 11)
    assert incident.peak.excess == 1990
    assert incident.severity.grade == "critical"
    assert incident.severity.peak_ratio == incident.peak.ratio
    assert incident.severity.excess_total == pytest.approx(40 + 390 + 1990 + 1490 + 890)
    assert incident.severity.ratio_now == pytest.approx(901 / 11)


@pytest.mark.parametrize(
    ("observed", "expected", "grade"),
    [(30, 10, "minor"), (400, 100, "major"), (4000, 200, "critical"), (1200, 1000, "minor")],
)
def test_grades(observed: float, expected: float, grade: str) -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(3, DETECTED, observed, expected)
    assert feed.log[0][1].incident.severity.grade == grade


def test_regions_ranked_by_excess_over_their_own_usual_level() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    regions = {
        "US": (1000.0, 800.0),  # big but mostly usual: excess 200
        "NL": (300.0, 20.0),  # excess 280
        "DE": (250.0, 100.0),  # excess 150
        "DE/Berlin": (90.0, 30.0),
        "EG": (12.0, 11.0),  # within its noise: not hit
    }
    for _ in range(4):
        feed.step(DETECTED, 1700, 950, regions)
    incident = feed.tracker.incident("facebook")
    assert incident is not None
    assert [r.region for r in incident.regions] == ["NL", "US", "DE", "DE/Berlin"]
    nl = incident.regions[0]
    assert (nl.observed, nl.expected) == (1200.0, 80.0)  # summed over the four minutes
    assert [r.region for r in incident.countries()] == ["NL", "US", "DE"]
    assert [r.region for r in incident.cities()] == ["DE/Berlin"]


def test_regions_before_the_opening_count() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(5, OK, 5, 5, regions={"FR": (1.0, 1.0)})
    for _ in range(3):
        feed.step(POSSIBLE, 60, 5, {"FR": (50.0, 2.0)})
    incident = feed.log[0][1].incident
    assert incident.regions[0] == ("FR", 150.0, 6.0)


def test_max_regions_limits_the_list() -> None:
    feed = Feed(IncidentTracker(**SETTINGS, max_regions=2))
    regions = {c: (100.0 + i, 1.0) for i, c in enumerate(["AE", "BH", "EG", "SA"])}
    feed.run(3, DETECTED, 500, 10, regions=regions)
    assert [r.region for r in feed.log[0][1].incident.regions] == ["SA", "EG"]


def test_a_change_in_the_top_regions_is_news() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(3, POSSIBLE, 60, 5, regions={"US": (60.0, 5.0)})
    assert feed.kinds() == ["opened"]
    feed.step(POSSIBLE, 60, 5, {"US": (60.0, 5.0)})
    assert feed.kinds() == ["opened"]
    (change,) = feed.step(POSSIBLE, 60, 5, {"US": (60.0, 5.0), "FR": (40.0, 1.0)})
    assert change.kind == "updated"
    assert [r.region for r in change.incident.regions] == ["US", "FR"]


def test_a_much_larger_peak_is_news() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(3, POSSIBLE, 60, 5)
    feed.step(POSSIBLE, 62, 5)
    assert feed.kinds() == ["opened"]
    (change,) = feed.step(POSSIBLE, 600, 5)
    assert change.kind == "updated"
    assert change.incident.peak.observed == 600


def test_services_are_tracked_apart() -> None:
    tracker = IncidentTracker(**SETTINGS)
    fb, ig = Feed(tracker, "facebook"), Feed(tracker, "instagram")
    for _ in range(3):
        fb.step(DETECTED, 500, 5)
        ig.step(OK)
    assert fb.kinds() == ["opened"]
    assert ig.kinds() == []
    assert [i.service for i in tracker.open_incidents()] == ["facebook"]
    assert tracker.incident("instagram") is None
    assert tracker.incident("never-seen") is None


def test_minutes_must_increase_and_settings_are_checked() -> None:
    tracker = IncidentTracker()
    tracker.update(T0, "x", fused(OK), 1, 1, {})
    with pytest.raises(ValueError):
        tracker.update(T0, "x", fused(OK), 1, 1, {})
    with pytest.raises(ValueError):
        tracker.update(T0 + 1, "x", fused(OK), float("nan"), 1, {})
    with pytest.raises(TypeError):
        IncidentTracker(open_aftr=2)
    with pytest.raises(ValueError):
        IncidentTracker(open_after=0)
    with pytest.raises(ValueError):
        IncidentTracker(recover_after=5, resolve_after=2)
    with pytest.raises(ValueError):
        IncidentTracker(burst_ratio=1.0)
    with pytest.raises(ValueError):
        IncidentTracker(burst_excess=0.0)


def test_datetimes_are_accepted_as_minutes() -> None:
    tracker = IncidentTracker(**SETTINGS)
    for i in range(3):
        when = minute_start(T0 + i)
        changes = tracker.update(when, "x", fused(DETECTED), 500, 5, {})
    assert changes[0].incident.start == minute_start(T0)
    assert changes[0].incident.start.tzinfo is not None


def test_to_dict_is_json() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(3, DETECTED, 900, 5, regions={"US": (300.0, 3.0), "US/Washington": (50.0, 1.0)})
    data = json.loads(json.dumps(feed.log[0][1].to_dict()))
    assert data["kind"] == "opened"
    incident = data["incident"]
    assert incident["state"] == "opened"
    assert incident["level"] == 2
    assert incident["start"] == "2021-10-04T15:00:00+00:00"
    assert incident["end"] is None
    assert incident["regions"][0] == {"region": "US", "observed": 900.0, "expected": 9.0}
    assert incident["severity"]["grade"] == "critical"


def test_the_same_input_gives_the_same_story() -> None:
    def story() -> list[dict[str, object]]:
        feed = Feed(IncidentTracker(**SETTINGS))
        for i in range(120):
            level = DETECTED if 20 <= i < 50 or 70 <= i < 75 else OK
            feed.step(level, 5 + (i % 7) * (50 if level else 0), 5, {"US": (float(i % 5), 1.0)})
        return [c.to_dict() for _, c in feed.log]

    first = story()
    assert first == story()
    assert [c["kind"] for c in first if c["kind"] != "updated"] == [
        "opened",
        "recovering",
        "resolved",
        "reopened",
        "recovering",
        "resolved",
    ]


def test_fold_changes_keeps_the_latest_snapshot() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(3, POSSIBLE, 50)
    feed.run(2, DETECTED, 500)
    latest = fold_changes(c for _, c in feed.log)
    assert list(latest) == [feed.log[0][1].incident.id]
    assert next(iter(latest.values())).level is DETECTED


def test_a_level_held_up_over_calm_minutes_opens_nothing() -> None:
    # The detectors' hysteresis keeps a level for a while after the counts are back.
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(10, POSSIBLE, 6, 5, score=0.1)
    assert feed.kinds() == []


def test_held_up_level_after_the_counts_are_back_lets_the_incident_end() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    feed.run(5, DETECTED, 500, 5)
    back = feed.minute + 1
    feed.run(10, DETECTED, 5, 5, score=0.05)  # level held, score calm
    assert feed.kinds() == ["opened", "recovering", "resolved"]
    assert feed.log[-1][1].incident.end == minute_start(back)
    feed.run(10, POSSIBLE, 5, 5, score=0.05)  # still held: no relapse
    assert feed.kinds() == ["opened", "recovering", "resolved"]


def test_regions_trading_places_are_not_news() -> None:
    feed = Feed(IncidentTracker(**SETTINGS))
    close = {"US": (60.0, 5.0), "DE": (40.0, 2.0), "FR": (30.0, 1.0), "GB": (29.0, 1.0)}
    feed.run(3, POSSIBLE, 200, 10, regions=close)
    assert [r.region for r in feed.log[0][1].incident.regions[:3]] == ["US", "DE", "FR"]
    # GB passes FR by a little: the third place changes hands, nobody needs to hear it
    feed.step(POSSIBLE, 200, 10, {"GB": (5.0, 1.0)})
    incident = feed.tracker.incident("facebook")
    assert incident is not None
    assert [r.region for r in incident.regions[:3]] == ["US", "DE", "GB"]
    assert feed.kinds() == ["opened"]
    # a new hardest-hit region is news
    (change,) = feed.step(POSSIBLE, 200, 10, {"NL": (400.0, 3.0)})
    assert change.kind == "updated"
    assert change.incident.regions[0].region == "NL"


@pytest.mark.parametrize(
    ("observed", "expected", "tail"),
    [
        (0, 3.0, 1.0),
        (1, 3.0, 1 - math.exp(-3.0)),
        (3, 3.0, 1 - math.exp(-3.0) * (1 + 3.0 + 4.5)),
        (3, 0.2, 1 - math.exp(-0.2) * (1 + 0.2 + 0.02)),
        (1, 0.0, 0.0),
    ],
)
def test_poisson_tail_exact(observed: float, expected: float, tail: float) -> None:
    assert poisson_tail(observed, expected) == pytest.approx(tail, rel=1e-9, abs=1e-11)


def test_poisson_tail_for_large_means_is_close() -> None:
    # exact values: P(X >= 242 | 200) = 2.17e-3, P(X >= 1110 | 1000) = 3.28e-4
    assert poisson_tail(242, 200) == pytest.approx(2.17e-3, rel=0.25)
    assert poisson_tail(1110, 1000) == pytest.approx(3.28e-4, rel=0.25)
    assert poisson_tail(1000, 1000) == pytest.approx(0.5, abs=0.02)
    assert poisson_tail(10**6, 4.7) == 0.0


def test_incidents_read_between_minutes_are_as_made_afresh() -> None:
    # open incidents are read every minute from the snapshot the last update made: the same
    # as one made afresh, through opening, regions, relapse, resolving and being forgotten
    tracker = IncidentTracker(**SETTINGS)
    feeds = [Feed(tracker, "whatsapp"), Feed(tracker, "instagram")]
    plan = [(10, OK, 5, 5), (20, DETECTED, 800, 10), (13, OK, 10, 10), (4, DETECTED, 300, 10)]
    plan += [(30, OK, 10, 10), (100, OK, 5, 5)]
    for n, level, observed, expected in plan:
        for _ in range(n):
            for k, feed in enumerate(feeds):
                regions = {"DE": (observed / 2, expected / 3), "FR": (observed / (3 + k), 1.0)}
                feed.step(level, observed + k, expected, regions=regions)
            fresh = [
                tracker._snapshot(t.episode)
                for t in tracker._tracks.values()
                if t.episode is not None
            ]
            assert sorted(tracker.incidents(), key=lambda i: i.service) == sorted(
                fresh, key=lambda i: i.service
            )
            assert tracker.open_incidents() == [
                i for i in tracker.incidents() if i.state is not IncidentState.RESOLVED
            ]
            for feed in feeds:
                track = tracker._tracks[feed.service]
                if track.episode is not None:
                    assert tracker.incident(feed.service) == tracker._snapshot(track.episode)
    assert {"opened", "resolved", "reopened"} <= {c.kind for _, c in feeds[0].log}
    assert all(t.episode is None for t in tracker._tracks.values())  # forgotten at the end
