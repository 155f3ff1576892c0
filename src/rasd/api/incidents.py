"""GET /api/v1/incidents and /api/v1/events: what Rasd found, filterable."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from rasd.api.params import parse_time
from rasd.api.responses import JSON
from rasd.errors import InvalidInput, NotFound
from rasd.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["incidents"])

_INCIDENT_STATES = ("opened", "ongoing", "recovering", "resolved")
_EVENT_STATES = ("active", "recovering", "resolved", "merged")


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _ms(value: str | None, field: str) -> int | None:
    when = parse_time(value, field)
    return None if when is None else int(when.timestamp() * 1000)


def _check_state(state: str | None, allowed: tuple[str, ...]) -> None:
    if state is not None and state not in allowed:
        raise InvalidInput(
            f"state is one of {', '.join(allowed)}",
            details=[{"field": "state", "reason": "unknown", "value": state}],
        )


@router.get("/incidents", summary="Incidents, newest first")
async def list_incidents(
    request: Request,
    service: str | None = None,
    state: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> JSON:
    rt = _runtime(request)
    if service is not None:
        rt.catalog.get(service)
    _check_state(state, _INCIDENT_STATES)
    rows = rt.store.list_incidents(
        service=service,
        state=state,
        since_ms=_ms(since, "since"),
        until_ms=_ms(until, "until"),
        limit=limit,
    )
    return JSON({"incidents": rows, "count": len(rows)})


@router.get("/incidents/{incident_id}", summary="One incident")
async def get_incident(request: Request, incident_id: str) -> JSON:
    rt = _runtime(request)
    service = incident_id.rsplit("-", 1)[0]
    for row in rt.store.list_incidents(service=service, limit=1000):
        if row.get("id") == incident_id:
            return JSON(row)
    raise NotFound(
        f"no incident {incident_id!r}",
        details=[{"field": "incident_id", "reason": "unknown", "value": incident_id}],
    )


@router.get("/events", summary="Events (incidents grouped by cause), newest first")
async def list_events(
    request: Request,
    state: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> JSON:
    rt = _runtime(request)
    _check_state(state, _EVENT_STATES)
    rows = rt.store.list_events(
        state=state, since_ms=_ms(since, "since"), until_ms=_ms(until, "until"), limit=limit
    )
    return JSON({"events": rows, "count": len(rows)})


@router.get("/events/{event_id}", summary="One event")
async def get_event(request: Request, event_id: str) -> JSON:
    rt = _runtime(request)
    for row in rt.store.list_events(limit=1000):
        if row.get("id") == event_id:
            return JSON(row)
    raise NotFound(
        f"no event {event_id!r}",
        details=[{"field": "event_id", "reason": "unknown", "value": event_id}],
    )
