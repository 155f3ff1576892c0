"""Fusion: one decision per service per minute from every signal watched for it.

Each signal's detector gives a score in [0, 1] on the detectors' scale: a standardised excess
z over the usual level, squashed as z^2 / (z^2 + z_half^2) (`rasd.detect.score.squash`).
Fusion reads each score back as its z and combines the signals with a weighted Stouffer sum,
sum(w * z) / sqrt(sum(w^2)): two weak signals agreeing give more than either alone. The
reports are the main signal: the fused z is never below theirs, so quiet secondary signals do
not water them down. The fused z is squashed back, so the fused score reads like any
detector's.

The level is the strongest of:
- the reports signal's own level (the main signal; it carries its detector's persistence),
- agreement: at least two signals leaning up, combined with each one's z capped, so that
  one loud secondary signal (posts rising without complaints) cannot carry the others,
- a quorum of probe failures (most vantage points or checks failing), which alone is enough,
- the owner's routes gone (`routes_unseen` with a level: most of the peers that usually see
  its name servers' prefixes no longer do), which alone is enough too, and counts as the
  service's own failure like the probes do; unless the service's own probes were tried that
  minute and answer (no quorum failing): then it is reached by other routes.
- the provider's own word (`official`): a page admitting a partial outage gives possible
  problems, a major one problems detected; a provider that admits it needs no convincing.

Planned maintenance the provider announced for all of a service (`planned`) holds every
alarm of that service down while it lasts.

Recovery posts and healthy probes do not raise the score; they are carried along so the
incident tracker can close an incident sooner and set its end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

from rasd.detect.decision import Level
from rasd.series import (
    OFFICIAL,
    POSTS,
    PROBE_PREFIX,
    PROBES_TOTAL,
    RECOVERY_POSTS,
    REPORTS,
    ROUTES_UNSEEN,
)

__all__ = [
    "DEFAULT_CONFIG",
    "FusedEvidence",
    "FusionConfig",
    "Level",
    "QUIET",
    "Reason",
    "SignalEvidence",
    "fuse",
    "planned",
    "score_of",
    "signal_group",
    "z_of",
]

# A score of exactly 1 is not infinite proof: it is read as this close to 1.
_SCORE_CEILING = 1.0 - 1e-12


class SignalEvidence(NamedTuple):
    """One signal of one service for one minute, as plain numbers.

    `total` is for probe failure signals: how many checks (or vantage points) were tried this
    minute, of which `observed` failed. Without it the total of the same kind given in the same
    list (`probe_dns_total` for `probe_dns_failed`), else `probes_total`, is the denominator.

    A named tuple: the tick makes a dozen for each of a hundred services a minute, each in a
    third of the time a frozen dataclass takes.
    """

    signal: str
    observed: float
    expected: float
    score: float
    level: int = Level.OK
    total: float | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the fused decision is what it is: one line per piece of evidence that counted."""

    # "signal" | "agreement" | "probe_quorum" | "route_loss" | "official" | "maintenance"
    # | "recovery_posts" | "probes_healthy"
    code: str
    signal: str
    observed: float
    expected: float
    score: float

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "signal": self.signal,
            "observed": self.observed,
            "expected": self.expected,
            "score": self.score,
        }


@dataclass(frozen=True, slots=True)
class FusedEvidence:
    """The fused decision for one service and minute.

    `probe_level` is the failure evidence the service's own probes give (used to tell an outage
    from spill-over); `probe_failing` the share of probes failing, when known; `probes_healthy`
    says probes ran and none failed; `recovery` is the score of the recovery posts signal.
    """

    score: float
    level: Level
    reasons: tuple[Reason, ...] = ()
    recovery: float = 0.0
    probes_healthy: bool = False
    probe_level: Level = Level.OK
    probe_failing: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "score": self.score,
            "level": int(self.level),
            "reasons": [r.to_dict() for r in self.reasons],
            "recovery": self.recovery,
            "probes_healthy": self.probes_healthy,
            "probe_level": int(self.probe_level),
            "probe_failing": self.probe_failing,
        }


QUIET = FusedEvidence(score=0.0, level=Level.OK)


@dataclass(frozen=True, slots=True)
class FusionConfig:
    """Weights per signal group and the thresholds of the decision.

    Groups: "reports", "posts" and "probe" (every failure signal whose name starts with
    "probe", except `probes_total`); only the strongest probe signal counts, since the per-kind
    failure counts are parts of the overall one and not independent of it. Other signals
    (such as per-problem counts, which are parts of the reports) carry no weight.
    """

    weights: Mapping[str, float] = field(
        default_factory=lambda: {REPORTS: 1.0, POSTS: 0.5, PROBE_PREFIX: 0.8, OFFICIAL: 0.8}
    )
    z_half: float = 4.0  # the detectors' squash: the z that scores 0.5
    possible: float = 0.5  # the detectors' thresholds, for the fused score
    detected: float = 0.75
    agree_score: float = 0.2  # a signal leaning up enough to count as agreeing (z = 2)
    agree_cap: float = 6.0  # the most z one signal brings to an agreement
    quorum_possible: float = 0.5
    quorum_detected: float = 0.75
    quorum_min_failures: float = 2.0
    recovery_score: float = 0.5


DEFAULT_CONFIG = FusionConfig()


def signal_group(signal: str) -> str | None:
    """The group whose weight a signal takes; None for signals that are not outage evidence."""
    if signal in (REPORTS, POSTS, OFFICIAL):
        return signal
    # per-kind totals (`probe_dns_total`) count checks tried, not failures
    if signal.startswith(PROBE_PREFIX) and not signal.endswith("_total"):
        return PROBE_PREFIX
    return None


# the group of each signal name seen, worked out once: a tick fuses a dozen signals of each of
# a hundred services, all named from a few dozen names (bounded all the same)
_GROUPS: dict[str, str | None] = {}
_GROUPS_KEPT = 4096


def _group_of(signal: str) -> str | None:
    try:
        return _GROUPS[signal]
    except KeyError:
        group = signal_group(signal)
        if len(_GROUPS) < _GROUPS_KEPT:
            _GROUPS[signal] = group
        return group


_signal_of = attrgetter("signal")


def fuse(
    evidence: Iterable[SignalEvidence], config: FusionConfig = DEFAULT_CONFIG
) -> FusedEvidence:
    items = sorted(evidence, key=_signal_of)
    strongest: dict[str, SignalEvidence] = {}
    recovery: SignalEvidence | None = None
    probes_total: SignalEvidence | None = None
    probe_items: list[SignalEvidence] = []  # in signal order, as items
    for item in items:
        if not 0.0 <= item.score <= 1.0 or math.isnan(item.score):
            raise ValueError(f"score of {item.signal} out of [0, 1]: {item.score}")
        if item.signal == RECOVERY_POSTS:
            recovery = item
        elif item.signal == PROBES_TOTAL:
            probes_total = item
        group = _group_of(item.signal)
        if group == PROBE_PREFIX:
            probe_items.append(item)
        if group is None or config.weights.get(group, 0.0) <= 0.0:
            continue
        held = strongest.get(group)
        if held is None or item.score > held.score:
            strongest[group] = item

    ranked = sorted(strongest.items())
    weighted = [(config.weights[group], z_of(item.score, config.z_half)) for group, item in ranked]
    # The reports are the main signal: the others can add to what they say, never take from it.
    main = z_of(strongest[REPORTS].score, config.z_half) if REPORTS in strongest else 0.0
    score = score_of(max(main, _stouffer(weighted)), config.z_half)
    reasons: list[Reason] = []
    level = Level.OK

    reports = strongest.get(REPORTS)
    if reports is not None and reports.level > Level.OK:
        level = Level(min(int(reports.level), Level.DETECTED))
        reasons.append(_reason("signal", reports))

    agreeing = [item for _, item in ranked if item.score >= config.agree_score]
    if len(agreeing) >= 2:
        capped = [(w, min(z, config.agree_cap)) for w, z in weighted]
        agreed = _level_of(score_of(_stouffer(capped), config.z_half), config)
        if agreed > Level.OK:
            level = max(level, agreed)
            reasons.extend(_reason("agreement", item) for item in agreeing)

    totals = {item.signal: item for item in items if item.signal.startswith(PROBE_PREFIX)}
    probe_level, failing, probe = Level.OK, None, None
    for item in probe_items:
        its_level, its_failing = _probe_level(item, _total_for(item.signal, totals), config)
        if probe is None or (its_level, its_failing or 0.0) > (probe_level, failing or 0.0):
            probe_level, failing, probe = its_level, its_failing, item
    if probe is not None and probe_level > Level.OK:
        level = max(level, probe_level)
        reasons.append(_reason("probe_quorum", probe))
    routes = next((item for item in items if item.signal == ROUTES_UNSEEN), None)
    answering = probes_total is not None and probes_total.observed > 0 and probe_level == Level.OK
    if routes is not None and routes.level > Level.OK and not answering:
        # unreachable on the internet is a failure of its own, as probes failing everywhere are;
        # but an owner's lost prefixes need not carry every one of its services: one whose own
        # checks answer this minute is reached some other way
        route_level = Level(min(int(routes.level), Level.DETECTED))
        level = max(level, route_level)
        probe_level = max(probe_level, route_level)
        reasons.append(_reason("route_loss", routes))

    said = strongest.get(OFFICIAL)
    if said is not None and said.level > Level.OK:
        level = max(level, Level(min(int(said.level), Level.DETECTED)))
        reasons.append(_reason("official", said))

    healthy = _probes_healthy(probe_items, probes_total)
    recovery_score = 0.0
    if recovery is not None and recovery.observed > recovery.expected:
        recovery_score = recovery.score
        if recovery_score >= config.recovery_score:
            reasons.append(_reason("recovery_posts", recovery))
    if healthy and probes_total is not None:
        reasons.append(_reason("probes_healthy", probes_total))

    # Probes failing everywhere say as much as the level they give, whatever the counts say.
    # (The reports' own level is not folded in: it is held up by hysteresis after the counts
    # are back, and the score is what tells that they are.)
    if probe_level >= Level.DETECTED:
        score = max(score, config.detected)
    elif probe_level >= Level.POSSIBLE:
        score = max(score, config.possible)
    return FusedEvidence(
        score=score,
        level=level,
        reasons=_dedupe(reasons),
        recovery=recovery_score,
        probes_healthy=healthy,
        probe_level=probe_level,
        probe_failing=failing,
    )


def planned(fused: FusedEvidence) -> FusedEvidence:
    """The decision while announced maintenance covers the service: no alarm of any kind,
    and the reason says why."""
    return FusedEvidence(
        score=0.0,
        level=Level.OK,
        reasons=(Reason("maintenance", OFFICIAL, 0.0, 0.0, 0.0), *fused.reasons),
        recovery=fused.recovery,
        probes_healthy=fused.probes_healthy,
    )


def _level_of(score: float, config: FusionConfig) -> Level:
    if score >= config.detected:
        return Level.DETECTED
    if score >= config.possible:
        return Level.POSSIBLE
    return Level.OK


def _total_for(signal: str, totals: Mapping[str, SignalEvidence]) -> SignalEvidence | None:
    """The count of checks tried that a failure count is a part of: its own kind's total
    (`probe_dns_failed` of `probe_dns_total`), else all probes' (`probes_total`)."""
    if signal.endswith("_failed"):
        own = totals.get(signal.removesuffix("_failed") + "_total")
        if own is not None:
            return own
    return totals.get(PROBES_TOTAL)


def _probe_level(
    probe: SignalEvidence, probes_total: SignalEvidence | None, config: FusionConfig
) -> tuple[Level, float | None]:
    """Failure evidence from probes: a quorum of failures where the number tried is known."""
    total = probe.total
    if total is None and probes_total is not None:
        total = probes_total.observed
    if total is None or total <= 0:
        # No denominator: the probe signal's own detector is all there is to go on.
        return Level(min(max(int(probe.level), 0), Level.DETECTED)), None
    failing = min(probe.observed / total, 1.0)
    if probe.observed < config.quorum_min_failures:
        return Level.OK, failing
    if failing >= config.quorum_detected:
        return Level.DETECTED, failing
    if failing >= config.quorum_possible:
        return Level.POSSIBLE, failing
    return Level.OK, failing


def _probes_healthy(probe_items: list[SignalEvidence], probes_total: SignalEvidence | None) -> bool:
    """Probes were tried and none of the failure signals (`probe_items`) saw one."""
    if probes_total is None or probes_total.observed <= 0:
        return False
    return all(item.observed <= 0 for item in probe_items)


def z_of(score: float, z_half: float) -> float:
    """The standardised excess a detector's score stands for (the inverse of its squash)."""
    s = min(max(score, 0.0), _SCORE_CEILING)
    return z_half * math.sqrt(s / (1.0 - s))


def score_of(z: float, z_half: float) -> float:
    z2 = max(z, 0.0) ** 2
    return z2 / (z2 + z_half * z_half)


def _stouffer(weighted: list[tuple[float, float]]) -> float:
    """Weighted Stouffer sum of one-sided z values."""
    norm = math.sqrt(sum(w * w for w, _ in weighted))
    if norm <= 0:
        return 0.0
    return sum(w * z for w, z in weighted) / norm


def _reason(code: str, item: SignalEvidence) -> Reason:
    return Reason(code, item.signal, item.observed, item.expected, item.score)


def _dedupe(reasons: list[Reason]) -> tuple[Reason, ...]:
    seen: set[tuple[str, str]] = set()
    kept: list[Reason] = []
    for reason in reasons:
        if (reason.code, reason.signal) not in seen:
            seen.add((reason.code, reason.signal))
            kept.append(reason)
    return tuple(kept)
