"""What an incident is: its state, size, regions and the changes the tracker hands out.

The tracker (`rasd.incidents.tracker`) makes them; correlation, the store and every page read
them. Nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, NamedTuple

from rasd.detect.decision import Level
from rasd.series import region_level

ChangeKind = Literal["opened", "escalated", "recovering", "resolved", "reopened", "updated"]


class IncidentState(StrEnum):
    OPENED = "opened"  # the minute it was opened (or reopened); ongoing from the next
    ONGOING = "ongoing"
    RECOVERING = "recovering"
    RESOLVED = "resolved"


class Peak(NamedTuple):
    """The minute with the largest excess of reports over the usual level."""

    observed: float
    expected: float
    ratio: float
    at: datetime

    @property
    def excess(self) -> float:
        return self.observed - self.expected


class Severity(NamedTuple):
    grade: str  # "minor" | "major" | "critical"
    peak_ratio: float
    peak_excess: float
    excess_total: float  # reports above the usual level summed since the onset
    ratio_now: float


class RegionImpact(NamedTuple):
    """Reports in one region since the onset, against that region's own usual level."""

    region: str
    observed: float
    expected: float

    @property
    def excess(self) -> float:
        return self.observed - self.expected


@dataclass(frozen=True, slots=True)
class Incident:
    """A snapshot: the tracker hands out new ones as the incident moves on."""

    id: str
    service: str
    state: IncidentState
    level: Level
    max_level: Level
    start: datetime
    end: datetime | None
    detected_at: datetime
    updated_at: datetime
    peak: Peak
    severity: Severity
    regions: tuple[RegionImpact, ...]
    relapses: int
    probe_failures: bool  # the service's own probes failed at some point

    @property
    def is_open(self) -> bool:
        return self.state is not IncidentState.RESOLVED

    def countries(self) -> tuple[RegionImpact, ...]:
        return tuple(r for r in self.regions if region_level(r.region) == "country")

    def cities(self) -> tuple[RegionImpact, ...]:
        return tuple(r for r in self.regions if region_level(r.region) == "city")

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "service": self.service,
            "state": str(self.state),
            "level": int(self.level),
            "max_level": int(self.max_level),
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end is not None else None,
            "detected_at": self.detected_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "peak": {
                "observed": self.peak.observed,
                "expected": self.peak.expected,
                "ratio": self.peak.ratio,
                "at": self.peak.at.isoformat(),
            },
            "severity": self.severity._asdict(),
            "regions": [
                {"region": r.region, "observed": r.observed, "expected": r.expected}
                for r in self.regions
            ],
            "relapses": self.relapses,
            "probe_failures": self.probe_failures,
        }


@dataclass(frozen=True, slots=True)
class IncidentChange:
    kind: ChangeKind
    incident: Incident

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "incident": self.incident.to_dict()}


def fold_changes(changes: Iterable[IncidentChange]) -> dict[str, Incident]:
    """The latest snapshot of each incident named in a run of changes."""
    latest: dict[str, Incident] = {}
    for change in changes:
        latest[change.incident.id] = change.incident
    return latest
