"""Incidents: per service, the story of one outage, opened, sized and ended from detection's
decisions minute by minute (`tracker`), and what an incident is (`model`).

It sits on `rasd.detect` (levels and fused evidence) and under `rasd.correlate`, which groups
incidents into events.
"""

from rasd.incidents.model import (
    ChangeKind,
    Incident,
    IncidentChange,
    IncidentState,
    Peak,
    RegionImpact,
    Severity,
    fold_changes,
)
from rasd.incidents.tracker import IncidentConfig, IncidentTracker, poisson_tail

__all__ = [
    "ChangeKind",
    "Incident",
    "IncidentChange",
    "IncidentConfig",
    "IncidentState",
    "IncidentTracker",
    "Peak",
    "RegionImpact",
    "Severity",
    "fold_changes",
    "poisson_tail",
]
