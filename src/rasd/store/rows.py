"""What the store hands out of the incidents and events it keeps: typed, so a state is an
IncidentState or an EventState.

The columns the store filters and orders on come typed; `data` is the finding as the engine
kept it (`Incident.to_dict()` and the evidence beside it, `Event.to_dict()`), which the API
shows as it is. An event's states and kinds are declared here, beside its row, because
correlation (`rasd.correlate.event`, which uses them) reads the store: the store cannot
import it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Row

from rasd.incidents.model import IncidentState


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: str
    service: str
    state: IncidentState
    level: int
    start_ms: int
    end_ms: int | None
    updated_ms: int
    event_id: str | None
    data: dict[str, Any]

    @property
    def is_open(self) -> bool:
        return self.state is not IncidentState.RESOLVED

    @classmethod
    def of(cls, row: Row[Any], data: dict[str, Any]) -> IncidentRow:
        return cls(
            id=str(row.id),
            service=str(row.service),
            state=IncidentState(row.state),
            level=int(row.level),
            start_ms=int(row.start_ms),
            end_ms=None if row.end_ms is None else int(row.end_ms),
            updated_ms=int(row.updated_ms),
            event_id=row.event_id,
            data=data,
        )


def newest_open(rows: Iterable[IncidentRow]) -> dict[str, IncidentRow]:
    """The open incident of each service, the newest where a service has more (rows newest
    first): what every page, feed and badge counts as the service's incident now."""
    out: dict[str, IncidentRow] = {}
    for row in rows:
        if row.is_open:
            out.setdefault(row.service, row)
    return out


def level_now(open_incident: IncidentRow | None) -> int:
    """A service's level now: its open incident's, 0 when it has none."""
    return 0 if open_incident is None else open_incident.level


class EventKind(StrEnum):
    OUTAGE = "outage"  # one owner or one piece of infrastructure failing
    REGIONAL = "regional"  # the network of one country failing, taking unrelated services along


class EventState(StrEnum):
    ACTIVE = "active"
    RECOVERING = "recovering"
    RESOLVED = "resolved"
    MERGED = "merged"  # folded into another event (`merged_into`)


@dataclass(frozen=True, slots=True)
class EventRow:
    """An event as kept: its columns typed, and from its document the fields that pages,
    feeds and alerts choose events by (level, services, incidents, owner)."""

    id: str
    kind: EventKind
    state: EventState
    level: int
    start_ms: int
    end_ms: int | None
    updated_ms: int
    primary: tuple[str, ...]  # services failing in it, biggest first
    spillover: tuple[str, ...]  # services whose reports rose because of it
    incidents: Mapping[str, str]  # service -> incident id
    owner: str | None
    data: dict[str, Any]

    @property
    def is_open(self) -> bool:
        """Going on: active or recovering (neither resolved nor merged into another)."""
        return self.state in (EventState.ACTIVE, EventState.RECOVERING)

    @property
    def is_merged(self) -> bool:
        return self.state is EventState.MERGED

    @property
    def services(self) -> tuple[str, ...]:
        return self.primary + self.spillover

    @classmethod
    def of(cls, row: Row[Any], data: dict[str, Any]) -> EventRow:
        owner = data.get("owner")
        return cls(
            id=str(row.id),
            kind=EventKind(row.kind),
            state=EventState(row.state),
            level=int(data.get("level", 1)),
            start_ms=int(row.start_ms),
            end_ms=None if row.end_ms is None else int(row.end_ms),
            updated_ms=int(row.updated_ms),
            primary=tuple(data.get("primary") or ()),
            spillover=tuple(data.get("spillover") or ()),
            incidents=dict(data.get("incidents") or {}),
            owner=None if owner is None else str(owner),
            data=data,
        )
