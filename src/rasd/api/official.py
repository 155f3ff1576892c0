"""What providers say and how late: a service's official word and updates, an event's
acknowledgement, and every provider's grade over 90 days."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from rasd.correlate.admission import WINDOW_DAYS, acknowledgement, grade, graded_owners
from rasd.errors import NotFound
from rasd.http.process import runtime_of
from rasd.http.responses import JSON
from rasd.runtime import Runtime
from rasd.signals.official import board_of
from rasd.store.rows import level_now

router = APIRouter(prefix="/api/v1", tags=["official"])


def _open_level(rt: Runtime, service_id: str) -> int:
    return level_now(rt.store.open_incidents(service_id).get(service_id))


def _latest_event(rt: Runtime, service_id: str) -> dict[str, Any] | None:
    for event in rt.store.list_events(limit=200):
        if not event.is_merged and service_id in event.primary:
            return event.data
    return None


@router.get(
    "/services/{service_id}/official",
    summary="The provider's last word on a service, its updates, and how late it came",
)
async def service_official(
    request: Request, service_id: str, limit: int = Query(50, ge=1, le=500)
) -> JSON:
    rt = runtime_of(request)
    service = rt.catalog.get(service_id)
    board = board_of(rt)
    now = rt.clock.now()
    word = board.word(service.id)
    level = _open_level(rt, service.id)
    event = _latest_event(rt, service.id)
    return JSON(
        {
            "service": service.id,
            "status_url": service.status_url,
            "status_kind": service.status_kind,
            "word": None if word is None else word.to_dict(now),
            # the page says all is well while Rasd has an incident open
            "disagrees": bool(word and word.view.severity == 0 and level > 0),
            "updates": board.updates(service.id, limit=limit),
            "acknowledgement": None if event is None else acknowledgement(board, event, now),
        }
    )


@router.get(
    "/events/{event_id}/acknowledgement",
    summary="When the provider first acknowledged an event, against Rasd's detection",
)
async def event_acknowledgement(request: Request, event_id: str) -> JSON:
    rt = runtime_of(request)
    event = rt.store.get_event(event_id)
    if event is None:
        raise NotFound(
            f"no event {event_id!r}",
            details=[{"field": "event_id", "reason": "unknown", "value": event_id}],
        )
    return JSON(acknowledgement(board_of(rt), event.data, rt.clock.now()))


@router.get(
    "/official/grades",
    summary="Each provider over 90 days: median lag, events never acknowledged, incidents seen",
)
async def grades(request: Request) -> JSON:
    rt = runtime_of(request)
    board = board_of(rt)
    now = rt.clock.now()
    since_ms = int(now.timestamp() * 1000) - WINDOW_DAYS * 86_400_000
    events = rt.store.list_events(since_ms=since_ms, limit=1000)
    return JSON(
        {
            "days": WINDOW_DAYS,
            "providers": [
                grade(board, rt.catalog, owner, now, events=events)
                for owner in graded_owners(board, rt.catalog)
            ],
        }
    )
