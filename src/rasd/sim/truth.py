"""Ground truth: what a detector should find in a scenario, for the evaluation.

An incident is one service in trouble: its `start` is the minute its extra reports begin and
its `end` the minute they are gone (relapses included), both inside the scenario's window.
Roles: `primary` (the service itself fails), `spillover` (reports rise because of another
service's outage; `event` names that outage), `regional` (a failure in some countries only,
including services unreachable through a failed network provider, while the provider itself
is `primary`). Surges, chatter and bot floods are events without
incidents: a detector should stay silent. A scenario is `quiet` when it has no incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from rasd.clock import minute_of, minute_start
from rasd.series import WORLD

if TYPE_CHECKING:
    from rasd.sim.scenario import Event, Scenario

Role = Literal["primary", "spillover", "regional"]


@dataclass(frozen=True, slots=True)
class TruthIncident:
    service: str
    role: Role
    event: str
    start: datetime
    end: datetime
    regions: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "role": self.role,
            "event": self.event,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "regions": list(self.regions),
        }


@dataclass(frozen=True, slots=True)
class TruthEvent:
    id: str
    kind: str
    services: list[str]
    start: datetime
    end: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "services": list(self.services),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class GroundTruth:
    incidents: list[TruthIncident]
    events: list[TruthEvent]

    @property
    def quiet(self) -> bool:
        return not self.incidents

    def incidents_of(self, event_id: str) -> list[TruthIncident]:
        return [i for i in self.incidents if i.event == event_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "quiet": self.quiet,
            "incidents": [i.to_dict() for i in self.incidents],
            "events": [e.to_dict() for e in self.events],
        }


def _root(scenario: Scenario, event: Event) -> str:
    """The outage a spillover comes from, following chains of spillovers."""
    while event.kind == "spillover" and event.of is not None:
        event = scenario.event(event.of)
    return event.id


def _role(event: Event, service: str) -> Role:
    if event.kind == "spillover":
        return "spillover"
    if event.kind == "isp" and service == event.provider:
        return "primary"
    if event.kind == "isp" or event.regions:
        return "regional"
    return "primary"


def _regions(event: Event) -> list[str]:
    if event.regions:
        return list(event.regions)
    named = sorted(event.countries, key=lambda c: (-event.countries[c], c))
    return [WORLD, *named]


def truth_of(scenario: Scenario) -> GroundTruth:
    first, last = minute_of(scenario.start), minute_of(scenario.end)

    def clip(minute: int) -> datetime:
        return minute_start(min(max(minute, first), last))

    incidents: list[TruthIncident] = []
    spans: dict[str, tuple[int, int]] = {}
    members: dict[str, list[str]] = {}
    for event in scenario.events:
        root = _root(scenario, event)
        for share in event.shares:
            envelope = event.envelope(share)
            begin, end = envelope.onset, envelope.end
            if begin >= last or end <= first:
                continue
            lo, hi = spans.get(root, (begin, end))
            spans[root] = (min(lo, begin), max(hi, end))
            services = members.setdefault(root, [])
            if share.id not in services:
                services.append(share.id)
            if event.kind in ("outage", "spillover", "isp"):
                incidents.append(
                    TruthIncident(
                        service=share.id,
                        role=_role(event, share.id),
                        event=root,
                        start=clip(begin),
                        end=clip(end),
                        regions=_regions(event),
                    )
                )
    events = [
        TruthEvent(
            id=event.id,
            kind=event.kind,
            services=members[event.id],
            start=clip(spans[event.id][0]),
            end=clip(spans[event.id][1]),
        )
        for event in scenario.events
        if event.kind != "spillover" and event.id in spans
    ]
    return GroundTruth(incidents=incidents, events=events)
