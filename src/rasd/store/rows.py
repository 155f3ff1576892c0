"""What the store hands out of the incidents it keeps: typed, so a state is an IncidentState.

The columns the store filters and orders on come typed; `data` is the incident as the engine
kept it (`Incident.to_dict()` and the evidence beside it), which the API shows as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
