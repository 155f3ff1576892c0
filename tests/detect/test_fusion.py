import json
import math

import numpy as np
import pytest

from rasd.detect.fusion import (
    FusionConfig,
    Level,
    Reason,
    SignalEvidence,
    fuse,
    score_of,
    signal_group,
    z_of,
)
from rasd.detect.score import squash, unsquash
from rasd.locale import words
from rasd.locale.evidence import reason_text
from rasd.series import ROUTES_UNSEEN


def text(reason: Reason, lang: str = "en") -> str:
    """A reason in words: detection gives the code and the numbers, the catalogs the words."""
    return reason_text(words(lang), reason.code, reason.signal, reason.observed, reason.expected)


def ev(
    signal: str, score: float, level: int = 0, observed: float = 10.0, **kw: float
) -> SignalEvidence:
    return SignalEvidence(signal, observed, kw.pop("expected", 2.0), score, level, **kw)


@pytest.mark.parametrize("score", [0.0, 0.05, 0.2, 0.5, 0.75, 0.99])
def test_scores_read_back_as_the_detectors_z(score: float) -> None:
    z = z_of(score, 4.0)
    assert z == pytest.approx(unsquash(score, 4.0))
    assert score_of(z, 4.0) == pytest.approx(score)
    assert float(squash(np.array([z]), 4.0)[0]) == pytest.approx(score)


def test_a_score_of_one_is_finite() -> None:
    assert math.isfinite(z_of(1.0, 4.0))
    assert score_of(z_of(1.0, 4.0), 4.0) == pytest.approx(1.0)


def test_reports_alone_keep_their_score_and_level() -> None:
    fused = fuse([ev("reports", 0.6, Level.POSSIBLE)])
    assert fused.score == pytest.approx(0.6)
    assert fused.level is Level.POSSIBLE
    assert [r.code for r in fused.reasons] == ["signal"]


def test_quiet_service_is_ok() -> None:
    fused = fuse([ev("reports", 0.05, observed=1), ev("posts", 0.02, observed=0)])
    assert fused.level is Level.OK
    assert fused.score < 0.1
    assert fused.reasons == ()


def test_two_weak_signals_agreeing_make_a_stronger_one() -> None:
    reports = ev("reports", 0.4)  # z about 3.3 each: neither "possible" on its own
    posts = ev("posts", 0.4)
    alone_reports = fuse([reports, ev("posts", 0.0)])
    alone_posts = fuse([ev("reports", 0.0), posts])
    together = fuse([reports, posts])
    assert alone_reports.level is Level.OK
    assert alone_posts.level is Level.OK
    assert together.score > max(alone_reports.score, alone_posts.score, 0.4)
    assert together.level is Level.POSSIBLE
    assert {r.signal for r in together.reasons if r.code == "agreement"} == {"reports", "posts"}


def test_three_agreeing_signals_reach_detected() -> None:
    fused = fuse([ev("reports", 0.55), ev("posts", 0.55), ev("probes_failed", 0.55)])
    assert fused.level is Level.DETECTED
    assert fused.score >= 0.75
    assert fuse([ev("reports", 0.55), ev("posts", 0.55)]).level is Level.POSSIBLE


def test_posts_alone_never_open_anything() -> None:
    # Posts rising without complaints (a rumour, a news story) are not an outage.
    fused = fuse([ev("reports", 0.05, observed=3), ev("posts", 0.999, Level.DETECTED)])
    assert fused.level is Level.OK


def test_one_loud_signal_cannot_carry_a_marginal_one_to_detected() -> None:
    fused = fuse([ev("reports", 0.25), ev("posts", 0.9999)])
    assert fused.level is Level.POSSIBLE
    assert fused.score > 0.75  # the score still says how unusual the minute is


def test_weights_follow_the_config() -> None:
    heavy_posts = FusionConfig(weights={"reports": 1.0, "posts": 1.0, "probe": 0.8})
    light = fuse([ev("reports", 0.4), ev("posts", 0.4)])
    heavy = fuse([ev("reports", 0.4), ev("posts", 0.4)], heavy_posts)
    assert heavy.score > light.score


@pytest.mark.parametrize(
    ("failed", "total", "level"),
    [
        (0, 6, Level.OK),
        (1, 4, Level.OK),
        (1, 1, Level.OK),
        (3, 6, Level.POSSIBLE),
        (5, 6, Level.DETECTED),
        (6, 6, Level.DETECTED),
    ],
)
def test_probe_quorum_alone(failed: float, total: float, level: Level) -> None:
    fused = fuse(
        [
            ev("reports", 0.05, observed=2),
            ev("probes_failed", 0.3, observed=failed, expected=0.0, total=total),
        ]
    )
    assert fused.level is level
    assert fused.probe_level is level
    assert fused.probe_failing == pytest.approx(failed / total)
    if level is not Level.OK:
        assert "probe_quorum" in [r.code for r in fused.reasons]
        assert fused.score >= 0.5


def test_probes_total_serves_as_denominator() -> None:
    fused = fuse(
        [
            ev("probes_total", 0.0, observed=8, expected=8),
            ev("probe_dns_failed", 0.6, observed=7, expected=0),
        ]
    )
    assert fused.probe_level is Level.DETECTED
    assert fused.probe_failing == pytest.approx(7 / 8)
    assert signal_group("probes_total") is None


def test_probe_signal_without_denominator_uses_its_own_level() -> None:
    fused = fuse([ev("probes_failed", 0.6, Level.POSSIBLE, observed=4, expected=0)])
    assert fused.probe_level is Level.POSSIBLE
    assert fused.probe_failing is None


def test_per_kind_probe_counts_are_not_counted_twice() -> None:
    one = fuse([ev("reports", 0.3), ev("probes_failed", 0.4)])
    both = fuse([ev("reports", 0.3), ev("probes_failed", 0.4), ev("probe_dns_failed", 0.4)])
    assert both.score == pytest.approx(one.score)


def test_unknown_and_per_problem_signals_carry_no_weight() -> None:
    base = fuse([ev("reports", 0.3)])
    more = fuse([ev("reports", 0.3), ev("problem:login", 0.9), ev("weather", 0.9)])
    assert more.score == pytest.approx(base.score)
    assert more.level is base.level


def test_recovery_posts_and_healthy_probes_are_carried() -> None:
    fused = fuse(
        [
            ev("reports", 0.3, observed=5),
            ev("posts_recovery", 0.7, observed=40, expected=1),
            ev("probes_total", 0.0, observed=6, expected=6),
            ev("probes_failed", 0.0, observed=0, expected=0),
        ]
    )
    assert fused.level is Level.OK
    assert fused.recovery == pytest.approx(0.7)
    assert fused.probes_healthy
    assert {r.code for r in fused.reasons} == {"recovery_posts", "probes_healthy"}
    # recovery posts never add to the outage score
    assert fused.score == pytest.approx(0.3)


def test_quiet_secondary_signals_do_not_water_down_the_reports() -> None:
    alone = fuse([ev("reports", 0.45)])
    quiet_others = fuse([ev("reports", 0.45), ev("posts", 0.0), ev("probes_failed", 0.0)])
    assert quiet_others.score == pytest.approx(alone.score)


def test_recovery_posts_below_their_usual_level_say_nothing() -> None:
    fused = fuse([ev("posts_recovery", 0.9, observed=1, expected=3)])
    assert fused.recovery == 0.0
    assert not fused.probes_healthy


def test_failing_probes_are_not_healthy() -> None:
    fused = fuse(
        [ev("probes_total", 0.0, observed=6, expected=6), ev("probes_failed", 0.3, observed=1)]
    )
    assert not fused.probes_healthy


@pytest.mark.parametrize("score", [-0.1, 1.5, float("nan")])
def test_scores_out_of_range_are_refused(score: float) -> None:
    with pytest.raises(ValueError):
        fuse([ev("reports", score)])


def test_order_of_signals_does_not_matter() -> None:
    items = [ev("posts", 0.3), ev("reports", 0.6, Level.POSSIBLE), ev("probes_failed", 0.4)]
    assert fuse(items) == fuse(list(reversed(items)))


def test_reasons_read_in_english_and_arabic() -> None:
    fused = fuse(
        [
            ev("reports", 0.9, Level.DETECTED, observed=420, expected=12),
            ev("posts", 0.8, observed=80, expected=3),
            ev("probes_failed", 0.7, observed=5, expected=0, total=6),
        ]
    )
    for reason in fused.reasons:
        en, ar = text(reason), text(reason, "ar")
        assert en and ar and en != ar
        assert any("\u0600" <= ch <= "\u06ff" for ch in ar)
    reports = next(r for r in fused.reasons if r.signal == "reports")
    assert "420" in text(reports) and "12" in text(reports)
    json.dumps(fused.to_dict(), ensure_ascii=False)


def test_per_kind_probe_totals_are_no_failures() -> None:
    healthy = [
        ev("probe_dns_total", 0.0, observed=40, expected=40),
        ev("probe_http_total", 0.0, observed=10, expected=10),
        ev("probes_total", 0.0, observed=50, expected=50),
    ]
    fused = fuse(healthy)
    assert signal_group("probe_dns_total") is None
    assert (fused.level, fused.probe_level, fused.probes_healthy) == (Level.OK, Level.OK, True)


def test_a_kind_of_probe_failing_is_measured_against_its_own_total() -> None:
    # DNS fails everywhere while HTTP checks (of other names) still pass: 20 of 20 DNS checks
    # failing is a quorum, though only 20 of all 60 checks fail.
    fused = fuse(
        [
            ev("probes_total", 0.0, observed=60, expected=60),
            ev("probes_failed", 0.7, observed=20, expected=0),
            ev("probe_dns_total", 0.0, observed=20, expected=20),
            ev("probe_dns_failed", 0.7, observed=20, expected=0),
            ev("probe_http_total", 0.0, observed=40, expected=40),
            ev("probe_http_failed", 0.0, observed=0, expected=0),
        ]
    )
    assert fused.probe_level is Level.DETECTED
    assert fused.probe_failing == pytest.approx(1.0)
    quorum = [r.signal for r in fused.reasons if r.code == "probe_quorum"]
    assert quorum == ["probe_dns_failed"]


def test_a_provider_admitting_a_major_outage_is_enough() -> None:
    fused = fuse([ev("reports", 0.0), ev("official", 0.85, Level.DETECTED, observed=3)])
    assert fused.level == Level.DETECTED
    assert [r.code for r in fused.reasons] == ["official"]
    assert text(fused.reasons[0]) == "official status page: major outage"
    assert text(fused.reasons[0], "ar") == "صفحة الحالة الرسمية: انقطاع كبير"
    assert signal_group("official") == "official"


def test_degraded_performance_only_adds_to_what_people_say() -> None:
    alone = fuse([ev("reports", 0.0), ev("official", 0.3, Level.OK, observed=1)])
    assert alone.level == Level.OK
    both = fuse([ev("reports", 0.45), ev("official", 0.3, Level.OK, observed=1)])
    assert both.score > 0.45 and both.level >= Level.POSSIBLE


def test_planned_maintenance_holds_every_alarm_down() -> None:
    from rasd.detect.fusion import planned

    loud = fuse([ev("reports", 0.95, Level.DETECTED), ev("probes_failed", 0.9, Level.DETECTED)])
    assert loud.level == Level.DETECTED
    held = planned(loud)
    assert held.level == Level.OK and held.score == 0.0 and held.probe_level == Level.OK
    assert held.reasons[0].code == "maintenance"
    assert "planned maintenance" in text(held.reasons[0])


def test_routes_gone_alone_are_the_services_own_failure() -> None:
    gone = SignalEvidence(ROUTES_UNSEEN, 38.0, 0.0, 0.95, int(Level.DETECTED), total=40.0)
    fused = fuse([ev("reports", 0.0), gone])
    assert fused.level is Level.DETECTED and fused.probe_level is Level.DETECTED
    assert fused.score >= 0.75
    (reason,) = [r for r in fused.reasons if r.code == "route_loss"]
    assert text(reason) == "peers without its routes: 38 (the name servers' routes are gone)"
    # below the share but not yet for long enough: no level, nothing said
    early = SignalEvidence(ROUTES_UNSEEN, 38.0, 0.0, 0.95, int(Level.OK), total=40.0)
    assert fuse([ev("reports", 0.0), early]).level is Level.OK


@pytest.mark.parametrize("failed", [0.0, 1.0])
def test_routes_gone_do_not_take_down_a_service_whose_own_probes_answer(failed: float) -> None:
    # an owner's name servers' prefixes withdrawn, while this service's checks (served by
    # other routes) answer from every vantage but the odd one
    gone = SignalEvidence(ROUTES_UNSEEN, 38.0, 0.0, 0.95, int(Level.DETECTED), total=40.0)
    tried = SignalEvidence("probes_total", 12.0, 12.0, 0.0, int(Level.OK))
    failing = SignalEvidence("probes_failed", failed, 0.0, 0.0, int(Level.OK))
    fused = fuse([ev("reports", 0.0), gone, tried, failing])
    assert fused.level is Level.OK and fused.probe_level is Level.OK
    assert not [r for r in fused.reasons if r.code == "route_loss"]
    # the same routes with the checks failing everywhere: down, and the routes say so too
    dead = SignalEvidence("probes_failed", 12.0, 0.0, 0.99, int(Level.DETECTED))
    down = fuse([ev("reports", 0.0), gone, tried, dead])
    assert down.level is Level.DETECTED
    assert [r for r in down.reasons if r.code == "route_loss"]
    # no check tried this minute: the routes alone still tell
    assert fuse([ev("reports", 0.0), gone]).level is Level.DETECTED
