"""Incidents as the detection engine stores and tells them, built from the real dataclasses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rasd.detect.decision import Level
from rasd.incidents import Incident, IncidentState, Peak, RegionImpact, Severity
from rasd.store.base import Store


def incident(
    service: str,
    start: datetime,
    *,
    number: int = 1,
    state: str = "ongoing",
    level: int = 2,
    grade: str = "major",
    minutes: int = 30,
    regions: tuple[str, ...] = ("US", "EG"),
) -> dict[str, Any]:
    end = start + timedelta(minutes=minutes) if state == "resolved" else None
    snapshot = Incident(
        id=f"{service}-{number}",
        service=service,
        state=IncidentState(state),
        level=Level(level),
        max_level=Level(level),
        start=start,
        end=end,
        detected_at=start + timedelta(minutes=3),
        updated_at=start + timedelta(minutes=minutes),
        peak=Peak(900.0, 30.0, 30.0, start + timedelta(minutes=10)),
        severity=Severity(grade, 30.0, 870.0, 12000.0, 20.0),
        regions=tuple(RegionImpact(r, 400.0, 10.0) for r in regions),
        relapses=0,
        probe_failures=True,
    )
    return snapshot.to_dict()


def store_incident(store: Store, data: dict[str, Any]) -> None:
    def ms(value: Any) -> int | None:
        return None if value is None else int(datetime.fromisoformat(value).timestamp() * 1000)

    store.upsert_incidents(
        [
            {
                "id": data["id"],
                "service": data["service"],
                "state": data["state"],
                "level": data["level"],
                "start_ms": ms(data["start"]),
                "end_ms": ms(data["end"]),
                "updated_ms": ms(data["updated_at"]),
                "event_id": None,
                "data": data,
            }
        ]
    )
