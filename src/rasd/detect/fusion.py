"""Fusion: one decision per service per minute from every signal watched for it.

Each signal's detector gives a score in [0, 1], read here as one minus the tail probability of
what was seen under the usual level. Independent signals are combined with a weighted Fisher
method: the weighted sum of their surprises (-ln p) is compared with a gamma distribution of
the summed weights as shape, which for the reports signal alone gives back its own score, and
for two weak signals agreeing gives more than either alone.

The level is the strongest of:
- the reports signal's own level (the main signal; it carries its detector's persistence),
- the fused score, but only when at least two signals agree (each leaning up), so that a
  single noisy secondary signal (posts rising without complaints) never opens anything,
- a quorum of probe failures (most vantage points or checks failing), which alone is enough.

Recovery posts and healthy probes do not raise the score; they are carried along so the
incident tracker can close an incident sooner and set its end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rasd.detect.decision import Level
from rasd.series import POSTS, PROBES_TOTAL, RECOVERY_POSTS, REPORTS

__all__ = [
    "DEFAULT_CONFIG",
    "FusedEvidence",
    "FusionConfig",
    "Level",
    "QUIET",
    "Reason",
    "SignalEvidence",
    "fuse",
    "gamma_upper",
    "signal_group",
    "signal_name",
]

PROBE_PREFIX = "probe"

# The smallest tail probability a score stands for: a score of exactly 1 is not infinite proof.
_P_FLOOR = 1e-12


@dataclass(frozen=True, slots=True)
class SignalEvidence:
    """One signal of one service for one minute, as plain numbers.

    `total` is for probe failure signals: how many checks (or vantage points) were tried this
    minute, of which `observed` failed. Without it the `probes_total` signal, when given in the
    same list, serves as the denominator.
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

    code: str  # "signal" | "agreement" | "probe_quorum" | "recovery_posts" | "probes_healthy"
    signal: str
    observed: float
    expected: float
    score: float

    def text(self, lang: str = "en") -> str:
        return _reason_text(self, lang)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "signal": self.signal,
            "observed": self.observed,
            "expected": self.expected,
            "score": self.score,
            "text": {"en": self.text("en"), "ar": self.text("ar")},
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
        default_factory=lambda: {REPORTS: 1.0, POSTS: 0.5, PROBE_PREFIX: 0.8}
    )
    possible: float = 0.99
    detected: float = 0.999
    agree_score: float = 0.9  # a signal leaning up enough to count as agreeing
    quorum_possible: float = 0.5
    quorum_detected: float = 0.75
    quorum_min_failures: float = 2.0
    recovery_score: float = 0.9


DEFAULT_CONFIG = FusionConfig()


def signal_group(signal: str) -> str | None:
    """The group whose weight a signal takes; None for signals that are not outage evidence."""
    if signal in (REPORTS, POSTS):
        return signal
    if signal.startswith(PROBE_PREFIX) and signal != PROBES_TOTAL:
        return PROBE_PREFIX
    return None


def fuse(
    evidence: Iterable[SignalEvidence], config: FusionConfig = DEFAULT_CONFIG
) -> FusedEvidence:
    items = sorted(evidence, key=lambda e: e.signal)
    strongest: dict[str, SignalEvidence] = {}
    recovery: SignalEvidence | None = None
    probes_total: SignalEvidence | None = None
    for item in items:
        if not 0.0 <= item.score <= 1.0 or math.isnan(item.score):
            raise ValueError(f"score of {item.signal} out of [0, 1]: {item.score}")
        if item.signal == RECOVERY_POSTS:
            recovery = item
        elif item.signal == PROBES_TOTAL:
            probes_total = item
        group = signal_group(item.signal)
        if group is None or config.weights.get(group, 0.0) <= 0.0:
            continue
        held = strongest.get(group)
        if held is None or item.score > held.score:
            strongest[group] = item

    score = _fisher(
        [(config.weights[group], item.score) for group, item in sorted(strongest.items())]
    )
    reasons: list[Reason] = []
    level = Level.OK

    reports = strongest.get(REPORTS)
    if reports is not None and reports.level > Level.OK:
        level = Level(min(int(reports.level), Level.DETECTED))
        reasons.append(_reason("signal", reports))

    agreeing = [item for _, item in sorted(strongest.items()) if item.score >= config.agree_score]
    if len(agreeing) >= 2:
        agreed = _level_of(score, config)
        if agreed > Level.OK:
            level = max(level, agreed)
            reasons.extend(_reason("agreement", item) for item in agreeing)

    probe_level, failing = _probe_level(strongest.get(PROBE_PREFIX), probes_total, config)
    if probe_level > Level.OK:
        level = max(level, probe_level)
        probe = strongest[PROBE_PREFIX]
        reasons.append(_reason("probe_quorum", probe))

    healthy = _probes_healthy(items, probes_total)
    recovery_score = 0.0
    if recovery is not None and recovery.observed > recovery.expected:
        recovery_score = recovery.score
        if recovery_score >= config.recovery_score:
            reasons.append(_reason("recovery_posts", recovery))
    if healthy and probes_total is not None:
        reasons.append(_reason("probes_healthy", probes_total))

    # The score never says less than the level does, so the two can be read alike.
    if level >= Level.DETECTED:
        score = max(score, config.detected)
    elif level >= Level.POSSIBLE:
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


def _level_of(score: float, config: FusionConfig) -> Level:
    if score >= config.detected:
        return Level.DETECTED
    if score >= config.possible:
        return Level.POSSIBLE
    return Level.OK


def _probe_level(
    probe: SignalEvidence | None, probes_total: SignalEvidence | None, config: FusionConfig
) -> tuple[Level, float | None]:
    """Failure evidence from probes: a quorum of failures where the number tried is known."""
    if probe is None:
        return Level.OK, None
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


def _probes_healthy(items: list[SignalEvidence], probes_total: SignalEvidence | None) -> bool:
    if probes_total is None or probes_total.observed <= 0:
        return False
    return all(item.observed <= 0 for item in items if signal_group(item.signal) == PROBE_PREFIX)


def _fisher(weighted: list[tuple[float, float]]) -> float:
    """Combined score of independent scores with weights (a weighted Fisher method)."""
    shape = sum(w for w, _ in weighted)
    if shape <= 0:
        return 0.0
    surprise = sum(w * -math.log(max(1.0 - s, _P_FLOOR)) for w, s in weighted)
    return 1.0 - gamma_upper(shape, surprise)


def gamma_upper(a: float, x: float) -> float:
    """The regularised upper incomplete gamma function Q(a, x), for a > 0 and x >= 0."""
    if a <= 0:
        raise ValueError("shape must be positive")
    if x <= 0:
        return 1.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:
        # The series for the lower part converges fast here.
        term = total = 1.0 / a
        n = a
        for _ in range(500):
            n += 1.0
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    # The continued fraction (modified Lentz) for the upper part.
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 500):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(log_front) * h)


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


_SIGNAL_NAMES = {
    REPORTS: {"en": "reports", "ar": "البلاغات"},
    POSTS: {"en": "posts", "ar": "المنشورات"},
    RECOVERY_POSTS: {"en": "posts saying it is back", "ar": "منشورات تقول إنها عادت"},
    PROBES_TOTAL: {"en": "probes", "ar": "الفحوص"},
}


def signal_name(signal: str, lang: str) -> str:
    names = _SIGNAL_NAMES.get(signal)
    if names is not None:
        return names.get(lang, names["en"])
    if signal.startswith(PROBE_PREFIX):
        kind = signal.removeprefix("probes_").removeprefix("probe_").removesuffix("_failed")
        if lang == "ar":
            return "فحوص فاشلة" if kind == "failed" else f"فحوص {kind} فاشلة"
        return "failed probes" if kind == "failed" else f"failed {kind} probes"
    return signal


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _reason_text(reason: Reason, lang: str) -> str:
    name = signal_name(reason.signal, lang)
    seen, usual = _number(reason.observed), _number(reason.expected)
    ar = lang == "ar"
    if reason.code == "probe_quorum":
        return f"{name}: {seen}" + (
            " (نصاب من الفحوص يفشل)" if ar else " (a quorum of probes failing)"
        )
    if reason.code == "probes_healthy":
        return f"{name}: {seen}، كلها سليمة" if ar else f"{name}: {seen}, all healthy"
    text = (
        f"{name}: {seen} مقابل {usual} في العادة" if ar else f"{name}: {seen} against {usual} usual"
    )
    if reason.code == "agreement":
        text += " (تتفق مع غيرها)" if ar else " (agrees with the others)"
    return text
