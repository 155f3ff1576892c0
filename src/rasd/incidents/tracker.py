"""Incidents: per service, the story of one outage from its onset to its end.

The tracker is fed once a minute per service with the fused decision and the reports seen
against the usual level, world-wide and per region. It opens an incident when the level has
stayed at "possible" or above (with a score that is not calm) for a few minutes, or at once
when one minute's reports are many times their usual level and a crowd above it, then sets the
start back to the true onset: the first minute of the run of minutes, kept in a small ring
buffer, in which the service had left its usual level. It ends the incident when the fused
score has been calm for long enough (sooner when recovery posts or healthy probes say so),
with the end set back to the minute after the last one whose own count was beyond the noise of
its usual level: the detectors' scores pool recent minutes and their levels hold on by
hysteresis, so both lag the counts. A relapse while recovering, or soon after the end, reopens
the same incident, as WhatsApp did on 4 October 2021.

Severity compares the reports with their usual level: the peak (the minute with the largest
excess), its ratio (with a pseudo-count so a quiet hour stays finite), the excess summed since
the onset, and a grade. Regions (countries and cities) are ranked by their excess over their
own usual level, summed since the onset.

Everything is driven by the minute passed in; nothing here reads a clock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import NamedTuple

from rasd.clock import minute_of, minute_start
from rasd.detect.decision import Level
from rasd.detect.fusion import FusedEvidence
from rasd.incidents.model import (
    ChangeKind,
    Incident,
    IncidentChange,
    IncidentState,
    Peak,
    RegionImpact,
    Severity,
)


@dataclass(frozen=True, slots=True)
class IncidentConfig:
    """Minutes are counted in calls to `update`, one per minute per service."""

    open_after: int = 2  # minutes of alarm (after the detectors' own persistence) to open
    escalate_after: int = 2  # minutes at "detected" before the incident says so
    deescalate_after: int = 5
    recover_after: int = 3  # quiet minutes before "recovering"
    resolve_after: int = 15  # quiet minutes before "resolved"
    resolve_after_recovered: int = 5  # ... when recovery posts or healthy probes agree
    relapse_window: int = 90  # minutes after the end in which a relapse reopens the incident
    lookback: int = 60  # size of the ring buffer the onset is looked for in
    onset_gap: int = 1  # normal-looking minutes tolerated inside the run before the opening
    # A minute's count is beyond noise when a Poisson count at the usual level reaches it
    # less often than this.
    above_p: float = 1e-3
    # A fused score below this is calm: a level still held up by the detectors' hysteresis
    # over calm minutes is an echo of the past, not an alarm (0.3 is a z of about 2.6).
    calm_score: float = 0.3
    recovery_score: float = 0.5
    # A minute whose reports are at least `burst_ratio` times the usual level and
    # `burst_excess` above it opens the incident at once, without the minutes of alarm: no
    # ordinary swing of a busy service is ten times its level, and a hundred extra reports in
    # one minute are a crowd, not the handful a quiet service gets by chance (ingest's limits
    # already drop floods from a few networks or reporters). The detectors' scores pool
    # recent minutes, so on a steep onset they reach "possible" a minute or two after the
    # counts have left no doubt. The same figures for every service.
    burst_ratio: float = 10.0
    burst_excess: float = 100.0
    region_z: float = 2.0
    region_min_excess: float = 2.0
    max_regions: int = 20
    ratio_prior: float = 1.0  # added to both sides so a quiet hour's ratio stays finite
    # (grade, least peak ratio, least peak excess), strongest first; below all: "minor"
    grades: tuple[tuple[str, float, float], ...] = (
        ("critical", 10.0, 500.0),
        ("major", 3.0, 50.0),
    )
    peak_step: float = 0.25  # a peak this much larger than the last one told is news

    def __post_init__(self) -> None:
        for name in ("open_after", "escalate_after", "deescalate_after", "recover_after"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.resolve_after < self.recover_after:
            raise ValueError("resolve_after must be at least recover_after")
        if self.lookback < self.open_after:
            raise ValueError("lookback must cover open_after")
        if self.relapse_window < 0 or self.onset_gap < 0 or self.max_regions < 0:
            raise ValueError("windows and counts cannot be negative")
        if self.burst_ratio <= 1.0 or self.burst_excess <= 0.0:
            raise ValueError("a burst must be above the usual level: ratio > 1, excess > 0")


class _Sample(NamedTuple):
    minute: int
    observed: float
    expected: float
    elevated: bool  # the reports (or the fused score) had left the usual level
    above: bool  # this minute's own count was beyond noise, or probes failed
    calm: bool  # the fused score was below `calm_score`
    alarm: bool  # the fused level was "possible" or above, and the score not calm
    regions: dict[str, tuple[float, float]] | None  # kept only for elevated minutes


@dataclass
class _Episode:
    """The mutable state of one incident, from its opening until it is forgotten."""

    id: str
    service: str
    start: int
    detected: int
    level: Level
    state: IncidentState = IncidentState.OPENED
    max_level: Level = Level.OK
    end: int | None = None
    updated: int = 0
    peak: tuple[int, float, float] | None = None  # minute, observed, expected
    excess_total: float = 0.0
    now: tuple[float, float] = (0.0, 0.0)
    regions: dict[str, list[float]] = field(default_factory=dict)
    relapses: int = 0
    last_above: int = 0
    last_added: int = 0
    probe_failures: bool = False
    quiet: int = 0
    bad_run: int = 0
    detected_run: int = 0
    possible_run: int = 0
    recovery_seen: bool = False
    told: tuple[str, float, tuple[str, ...]] = ("", 0.0, ())  # grade, peak, top regions
    # the incident as it stands, made by the update that last changed it (which makes one
    # anyway): open incidents are read every minute, and each made again cost as much
    shown: Incident | None = None


@dataclass
class _Track:
    service: str
    history: deque[_Sample]
    episode: _Episode | None = None
    last_minute: int | None = None
    floor: int | None = None  # the onset is never looked for at or before this minute
    bad_run: int = 0
    detected_run: int = 0


class IncidentTracker:
    """Incidents of every service; `update` once a minute per service, minutes increasing."""

    def __init__(self, **config: object) -> None:
        known = {f.name for f in fields(IncidentConfig)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise TypeError(f"unknown incident settings: {', '.join(unknown)}")
        self.config = IncidentConfig(**config)  # type: ignore[arg-type]
        self._tracks: dict[str, _Track] = {}

    def update(
        self,
        minute: int | datetime,
        service: str,
        fused: FusedEvidence,
        reports_observed: float,
        reports_expected: float,
        regions: Mapping[str, tuple[float, float]] | None = None,
    ) -> list[IncidentChange]:
        m = minute_of(minute) if isinstance(minute, datetime) else int(minute)
        track = self._tracks.get(service)
        if track is None:
            track = _Track(service, deque(maxlen=self.config.lookback))
            self._tracks[service] = track
        if track.last_minute is not None and m <= track.last_minute:
            raise ValueError(f"minutes must increase for {service}: {m} after {track.last_minute}")
        track.last_minute = m
        if not (math.isfinite(reports_observed) and math.isfinite(reports_expected)):
            raise ValueError("reports observed and expected must be finite")

        calm = fused.score < self.config.calm_score
        alarm = fused.level >= Level.POSSIBLE and not calm
        above = self._above(reports_observed, reports_expected) or (
            fused.probe_level >= Level.POSSIBLE
        )
        elevated = above or fused.score >= self.config.calm_score
        sample = _Sample(
            m,
            float(reports_observed),
            float(reports_expected),
            elevated,
            above,
            calm,
            alarm,
            dict(regions) if (elevated or alarm) and regions else None,
        )
        track.history.append(sample)

        episode = track.episode
        if episode is not None and episode.state is IncidentState.RESOLVED:
            assert episode.end is not None
            if m - episode.end > self.config.relapse_window:
                track.floor = episode.end
                track.episode = episode = None
        if episode is None or episode.state is IncidentState.RESOLVED:
            return self._pending(track, sample, fused)
        return self._follow(episode, sample, fused, regions or {})

    def open_incidents(self) -> list[Incident]:
        """Incidents not yet resolved, earliest start first."""
        found = [
            self._shown(t.episode)
            for t in self._tracks.values()
            if t.episode is not None and t.episode.state is not IncidentState.RESOLVED
        ]
        return sorted(found, key=lambda i: (i.start, i.service))

    def incidents(self) -> list[Incident]:
        """Open incidents and those resolved recently enough to be reopened."""
        found = [self._shown(t.episode) for t in self._tracks.values() if t.episode]
        return sorted(found, key=lambda i: (i.start, i.service))

    def incident(self, service: str) -> Incident | None:
        track = self._tracks.get(service)
        if track is None or track.episode is None:
            return None
        return self._shown(track.episode)

    def _shown(self, episode: _Episode) -> Incident:
        shown = episode.shown
        return self._snapshot(episode) if shown is None else shown

    # -- while no incident is open ---------------------------------------------------------

    def _pending(
        self, track: _Track, sample: _Sample, fused: FusedEvidence
    ) -> list[IncidentChange]:
        cfg = self.config
        track.bad_run = track.bad_run + 1 if sample.alarm else 0
        detected = sample.alarm and fused.level >= Level.DETECTED
        track.detected_run = track.detected_run + 1 if detected else 0
        if track.bad_run < cfg.open_after and not self._burst(sample, fused):
            return []
        level = Level.DETECTED if track.detected_run >= cfg.escalate_after else Level.POSSIBLE
        episode = track.episode
        m = sample.minute
        if episode is not None:
            # A relapse: the same incident, carried on from where it was left.
            episode.state = IncidentState.OPENED
            episode.end = None
            episode.relapses += 1
            episode.level = level
            kind: ChangeKind = "reopened"
        else:
            service = track.service
            start = self._onset(track, m)
            episode = _Episode(
                id=f"{service}-{minute_start(start):%Y%m%dT%H%MZ}",
                service=service,
                start=start,
                detected=m,
                level=level,
                last_added=start - 1,
                last_above=start,
            )
            track.episode = episode
            kind = "opened"
        episode.max_level = max(episode.max_level, level)
        episode.quiet = 0
        episode.bad_run = track.bad_run
        episode.detected_run = track.detected_run
        episode.possible_run = 0
        episode.recovery_seen = False
        track.bad_run = track.detected_run = 0
        for past in track.history:
            if past.minute > episode.last_added:
                self._add(episode, past, past.regions or {})
        if fused.probe_level >= Level.POSSIBLE:
            episode.probe_failures = True
        episode.updated = m
        snapshot = episode.shown = self._snapshot(episode)
        episode.told = self._news(snapshot)
        return [IncidentChange(kind, snapshot)]

    def _onset(self, track: _Track, now: int) -> int:
        """The first minute of the run of abnormal minutes that ends now."""
        start = now
        misses = 0
        previous = now + 1
        for past in reversed(track.history):
            if track.floor is not None and past.minute <= track.floor:
                break
            misses += previous - past.minute - 1  # minutes nobody reported count as normal
            if misses > self.config.onset_gap:
                break
            if past.elevated or past.alarm:
                start = past.minute
                misses = 0
            else:
                misses += 1
                if misses > self.config.onset_gap:
                    break
            previous = past.minute
        return start

    # -- while an incident is open ---------------------------------------------------------

    def _follow(
        self,
        episode: _Episode,
        sample: _Sample,
        fused: FusedEvidence,
        regions: Mapping[str, tuple[float, float]],
    ) -> list[IncidentChange]:
        cfg = self.config
        m = sample.minute
        self._add(episode, sample, regions)
        episode.updated = m
        if fused.probe_level >= Level.POSSIBLE:
            episode.probe_failures = True
        if episode.state is IncidentState.OPENED:
            episode.state = IncidentState.ONGOING
        kind: ChangeKind | None = None

        if not sample.calm:
            episode.quiet = 0
            episode.recovery_seen = False
            if not sample.alarm:
                episode.bad_run = episode.detected_run = episode.possible_run = 0
            elif fused.level >= Level.DETECTED:
                episode.bad_run += 1
                episode.detected_run += 1
                episode.possible_run = 0
            else:
                episode.bad_run += 1
                episode.possible_run += 1
                episode.detected_run = 0
            if episode.state is IncidentState.RECOVERING:
                if episode.bad_run >= cfg.open_after:
                    # Failing again while coming back: a relapse, told like one.
                    episode.state = IncidentState.ONGOING
                    episode.relapses += 1
                    kind = "reopened"
            if episode.state is IncidentState.ONGOING:
                if episode.level < Level.DETECTED and episode.detected_run >= cfg.escalate_after:
                    episode.level = Level.DETECTED
                    episode.max_level = Level.DETECTED
                    kind = "escalated"
                elif (
                    episode.level >= Level.DETECTED and episode.possible_run >= cfg.deescalate_after
                ):
                    episode.level = Level.POSSIBLE
                    kind = "updated"
        else:
            episode.quiet += 1
            episode.bad_run = episode.detected_run = episode.possible_run = 0
            if fused.recovery >= cfg.recovery_score or (
                fused.probes_healthy and episode.probe_failures
            ):
                episode.recovery_seen = True
            if episode.state is IncidentState.ONGOING:
                needed = 1 if episode.recovery_seen else cfg.recover_after
                if episode.quiet >= needed:
                    episode.state = IncidentState.RECOVERING
                    kind = "recovering"
            if episode.state is IncidentState.RECOVERING:
                needed = cfg.resolve_after_recovered if episode.recovery_seen else cfg.resolve_after
                if episode.quiet >= needed:
                    episode.state = IncidentState.RESOLVED
                    episode.end = min(episode.last_above + 1, m)
                    kind = "resolved"

        snapshot = episode.shown = self._snapshot(episode)
        if kind is None:
            news = self._news(snapshot)
            if news != episode.told and self._is_news(episode, news):
                kind = "updated"
        if kind is None:
            return []
        episode.told = self._news(snapshot)
        return [IncidentChange(kind, snapshot)]

    def _add(
        self, episode: _Episode, sample: _Sample, regions: Mapping[str, tuple[float, float]]
    ) -> None:
        excess = sample.observed - sample.expected
        episode.excess_total += excess
        episode.now = (sample.observed, sample.expected)
        if episode.peak is None or excess > episode.peak[1] - episode.peak[2]:
            episode.peak = (sample.minute, sample.observed, sample.expected)
        if sample.above:
            episode.last_above = max(episode.last_above, sample.minute)
        for region, (observed, expected) in regions.items():
            sums = episode.regions.get(region)
            if sums is None:
                episode.regions[region] = [float(observed), float(expected)]
            else:
                sums[0] += observed
                sums[1] += expected
        episode.last_added = sample.minute

    # -- judging and telling ---------------------------------------------------------------

    def _above(self, observed: float, expected: float) -> bool:
        """Whether one minute's count is beyond the noise of its usual level.

        The end of an incident is set by this, not by the detectors' score, which pools
        recent minutes and so stays high for a while after the counts are back.
        """
        if observed <= expected:
            return False
        return poisson_tail(observed, expected) < self.config.above_p

    def _burst(self, sample: _Sample, fused: FusedEvidence) -> bool:
        """Whether this minute's reports alone leave no doubt (see `IncidentConfig`)."""
        cfg = self.config
        expected = max(sample.expected, 0.0)
        if sample.observed < cfg.burst_ratio * expected:
            return False
        if sample.observed - expected < cfg.burst_excess:
            return False
        # announced maintenance holds every alarm down, this one too
        return not any(r.code == "maintenance" for r in fused.reasons)

    def _ratio(self, observed: float, expected: float) -> float:
        prior = self.config.ratio_prior
        return (max(observed, 0.0) + prior) / (max(expected, 0.0) + prior)

    def _grade(self, ratio: float, excess: float) -> str:
        for grade, least_ratio, least_excess in self.config.grades:
            if ratio >= least_ratio and excess >= least_excess:
                return grade
        return "minor"

    def _ranked(self, episode: _Episode) -> tuple[RegionImpact, ...]:
        cfg = self.config
        hit = [
            RegionImpact(region, observed, expected)
            for region, (observed, expected) in episode.regions.items()
            if observed - expected
            >= max(cfg.region_min_excess, cfg.region_z * math.sqrt(max(expected, 0.0) + 1.0))
        ]
        hit.sort(key=lambda r: (-r.excess, r.region))
        return tuple(hit[: cfg.max_regions])

    def _snapshot(self, episode: _Episode) -> Incident:
        peak_minute, peak_observed, peak_expected = episode.peak or (episode.start, 0.0, 0.0)
        peak = Peak(
            peak_observed,
            peak_expected,
            self._ratio(peak_observed, peak_expected),
            minute_start(peak_minute),
        )
        severity = Severity(
            grade=self._grade(peak.ratio, peak.excess),
            peak_ratio=peak.ratio,
            peak_excess=peak.excess,
            excess_total=max(episode.excess_total, 0.0),
            ratio_now=self._ratio(*episode.now),
        )
        return Incident(
            id=episode.id,
            service=episode.service,
            state=episode.state,
            level=episode.level,
            max_level=episode.max_level,
            start=minute_start(episode.start),
            end=minute_start(episode.end) if episode.end is not None else None,
            detected_at=minute_start(episode.detected),
            updated_at=minute_start(episode.updated),
            peak=peak,
            severity=severity,
            regions=self._ranked(episode),
            relapses=episode.relapses,
            probe_failures=episode.probe_failures,
        )

    @staticmethod
    def _news(incident: Incident) -> tuple[str, float, tuple[str, ...]]:
        return (
            incident.severity.grade,
            incident.peak.excess,
            tuple(r.region for r in incident.regions[:3]),
        )

    def _is_news(self, episode: _Episode, now: tuple[str, float, tuple[str, ...]]) -> bool:
        """A new grade, a much larger peak, or a clear change at the top of the regions.

        Regions close to each other trade places from minute to minute; only a region that
        has clearly passed one told before, or a new hardest-hit region, is news.
        """
        grade, peak, top = episode.told
        step = 1.0 + self.config.peak_step
        if now[0] != grade or now[1] > max(peak, 0.0) * step + 1.0:
            return True
        if not now[2] or now[2] == top:
            return False
        if not top or now[2][0] != top[0]:
            return True

        def excess(region: str) -> float:
            observed, expected = episode.regions.get(region, (0.0, 0.0))
            return observed - expected

        entered = [excess(r) for r in now[2] if r not in top]
        if not entered:
            return False  # the same regions in another order, or fewer of them
        dropped = [excess(r) for r in top if r not in now[2]]
        if not dropped:
            return True  # one more region hit
        return max(entered) > max(min(dropped), 0.0) * step


def poisson_tail(observed: float, expected: float) -> float:
    """P(X >= observed) for a Poisson count X of mean `expected`, summed in log space."""
    k = math.ceil(observed - 1e-9)
    mu = max(expected, 1e-12)
    if k <= 0:
        return 1.0
    if mu > 100.0:
        # Large means: Anscombe's transform makes the count normal with unit variance (with a
        # half-count continuity correction), close enough here and with no long sums.
        z = 2.0 * (math.sqrt(k - 0.125) - math.sqrt(mu + 0.375))
        return 0.5 * math.erfc(z / math.sqrt(2.0))
    log_mu = math.log(mu)

    def log_pmf(n: int) -> float:
        return -mu + n * log_mu - math.lgamma(n + 1)

    if k > mu:
        # The upper tail, from k outwards: terms shrink at least geometrically past the mean.
        total, n, log_term = 0.0, k, log_pmf(k)
        while True:
            term = math.exp(log_term)
            total += term
            if term <= total * 1e-15 or term == 0.0:
                return min(total, 1.0)
            n += 1
            log_term += log_mu - math.log(n)
    # At or below the mean: one minus the lower tail, from k - 1 down.
    total, n, log_term = 0.0, k - 1, log_pmf(k - 1)
    while n >= 0:
        term = math.exp(log_term)
        total += term
        if term <= total * 1e-15:
            break
        log_term -= log_mu - math.log(n) if n > 0 else 0.0
        n -= 1
    return max(0.0, 1.0 - total)
