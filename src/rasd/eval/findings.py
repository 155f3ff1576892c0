"""Findings: the incidents and events the pipeline produced in a run, in a plain form to score.

The recorder listens to the detection engine while a scenario is replayed. It keeps the last
snapshot of every incident and event, because the tracker and the correlator forget resolved
ones after a while (a week-long run would otherwise lose its first days).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from rasd.store.rows import EventState

Role = Literal["primary", "spillover"]


@dataclass(frozen=True, slots=True)
class FoundIncident:
    """One incident the pipeline opened, as it stood at the end of the run."""

    id: str
    service: str
    start: datetime
    end: datetime | None  # None while still open
    detected_at: datetime  # the start of the minute whose tick opened it
    event: str | None = None
    role: Role | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end is not None else None,
            "detected_at": self.detected_at.isoformat(),
            "event": self.event,
            "role": self.role,
        }


@dataclass(frozen=True, slots=True)
class FoundEvent:
    id: str
    kind: str  # "outage" | "regional"
    start: datetime
    primary: tuple[str, ...]
    spillover: tuple[str, ...]
    country: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "start": self.start.isoformat(),
            "primary": list(self.primary),
            "spillover": list(self.spillover),
            "country": self.country,
        }


@dataclass(frozen=True, slots=True)
class Findings:
    incidents: list[FoundIncident]
    events: list[FoundEvent]

    def to_dict(self) -> dict[str, Any]:
        return {
            "incidents": [i.to_dict() for i in self.incidents],
            "events": [e.to_dict() for e in self.events],
        }


class FindingsRecorder:
    """Attach to a DetectionEngine; `findings()` once the replay is over."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._incidents: dict[str, Any] = {}  # id -> latest Incident snapshot
        self._events: dict[str, Mapping[str, Any]] = {}  # id -> latest event as a dict
        self._last_event: dict[str, str] = {}  # incident id -> the event it was last seen in
        engine.listen(self._heard)

    def tick(self, minute: int) -> list[Any]:
        """The engine's tick, noting what it changed; hand this to the replay's sink."""
        changes: list[Any] = self._engine.tick(minute)
        correlator = self._engine.correlator
        for change in changes:
            incident = change.incident
            self._incidents[str(incident.id)] = incident
            event = correlator.event_of(incident.id)
            if event is not None:
                self._last_event[str(incident.id)] = str(event.id)
        return changes

    def _heard(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "event":
            event = payload["event"]
            self._events[str(event["id"])] = event

    def findings(self) -> Findings:
        return assemble(self._incidents.values(), self._events.values(), self._last_event)


def assemble(
    incidents: Iterable[Any],
    events: Iterable[Mapping[str, Any]],
    last_event: Mapping[str, str] | None = None,
) -> Findings:
    """Findings from incident snapshots and event dicts (as the engine tells them).

    An incident's event and role come from the events as they ended; an event folded into
    another (`merged_into`) hands its incidents on to the one that took it in.
    """
    by_id = {str(e["id"]): e for e in events}
    membership: dict[str, tuple[str, Role]] = {}
    for event in by_id.values():
        if event.get("state") == EventState.MERGED:
            continue
        spill = set(event.get("spillover", ()))
        for service, incident_id in dict(event.get("incidents", {})).items():
            membership[str(incident_id)] = (
                str(event["id"]),
                "spillover" if service in spill else "primary",
            )
    found: list[FoundIncident] = []
    for incident in incidents:
        incident_id = str(incident.id)
        event_id: str | None = None
        role: Role | None = None
        if incident_id in membership:
            event_id, role = membership[incident_id]
        if event_id is None and last_event and incident_id in last_event:
            # Two incidents of one service in one event share a slot in its `incidents` map;
            # the older one is placed by where it was last seen.
            event_id = _surviving(last_event[incident_id], by_id)
            if event_id is not None:
                role = _role_in(by_id[event_id], str(incident.service))
        found.append(
            FoundIncident(
                id=incident_id,
                service=str(incident.service),
                start=incident.start,
                end=incident.end if not incident.is_open else None,
                detected_at=incident.detected_at,
                event=event_id,
                role=role,
            )
        )
    found.sort(key=lambda i: (i.start, i.service, i.id))
    kept = [
        FoundEvent(
            id=str(e["id"]),
            kind=str(e["kind"]),
            start=datetime.fromisoformat(str(e["start"])),
            primary=tuple(e.get("primary", ())),
            spillover=tuple(e.get("spillover", ())),
            country=e.get("country"),
        )
        for e in by_id.values()
        if e.get("state") != EventState.MERGED
    ]
    kept.sort(key=lambda e: (e.start, e.id))
    return Findings(found, kept)


def _surviving(event_id: str, events: Mapping[str, Mapping[str, Any]]) -> str | None:
    seen: set[str] = set()
    current: str | None = event_id
    while current is not None and current not in seen:
        seen.add(current)
        event = events.get(current)
        if event is None:
            return None
        if event.get("state") != EventState.MERGED:
            return current
        merged_into = event.get("merged_into")
        current = str(merged_into) if merged_into is not None else None
    return None


def _role_in(event: Mapping[str, Any], service: str) -> Role:
    return "spillover" if service in set(event.get("spillover", ())) else "primary"
