"""GET /api/v1/incidents and /api/v1/events: what Rasd found, filterable.

Events are kept with codes (rasd.phrase); their titles, timelines and causes are said here,
as `{"en": ..., "ar": ...}`, with the `lang` asked for beside them (rasd.locale.findings)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from rasd.api.paging import Limit, Offset, Page, page_fields
from rasd.api.params import Lang, Time, parse_lang, parse_time
from rasd.api.shapes import errors
from rasd.errors import NotFound
from rasd.http.process import runtime_of
from rasd.http.responses import JSON
from rasd.impact import ImpactReader
from rasd.incidents.model import IncidentState
from rasd.locale.findings import said_event, said_incident, shown_languages
from rasd.locale.phrases import CatalogNames
from rasd.runtime import Runtime
from rasd.store.findings import FoundPage
from rasd.store.rows import EventRow, EventState, IncidentRow

router = APIRouter(prefix="/api/v1", tags=["incidents"])

IncidentStateQuery = Annotated[
    Literal["opened", "ongoing", "recovering", "resolved"] | None,
    Query(description="Only incidents in this state."),
]
EventStateQuery = Annotated[
    Literal["active", "recovering", "resolved", "merged"] | None,
    Query(description="Only events in this state."),
]


class IncidentList(Page):
    incidents: list[dict[str, Any]]


class EventList(Page):
    events: list[dict[str, Any]]


def _ms(value: str | None, field: str) -> int | None:
    when = parse_time(value, field)
    return None if when is None else int(when.timestamp() * 1000)


def _window(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    return _ms(since, "since"), _ms(until, "until")


def _said(names: CatalogNames, kind: str, row: dict[str, Any], lang: str | None) -> dict[str, Any]:
    langs = shown_languages(parse_lang(lang))
    if kind == "event":
        return said_event(row, names, langs)
    return said_incident(row, langs)


def _answer(
    rt: Runtime,
    key: str,
    found: FoundPage[dict[str, Any]],
    limit: int,
    offset: int,
    lang: str | None,
) -> JSON:
    names = CatalogNames(rt.catalog)  # one for the page: its events name the same services
    rows = [_said(names, key.removesuffix("s"), row, lang) for row in found.rows]
    return JSON({key: rows, **page_fields(limit, offset, len(found.rows), found.total)})


def _documents(found: FoundPage[IncidentRow] | FoundPage[EventRow]) -> FoundPage[dict[str, Any]]:
    return FoundPage([row.data for row in found.rows], found.total)


def _found(
    rt: Runtime, row: dict[str, Any] | None, kind: str, wanted: str, lang: str | None
) -> JSON:
    if row is None:
        raise NotFound(
            f"no {kind} {wanted!r}",
            details=[{"field": f"{kind}_id", "reason": "unknown", "value": wanted}],
        )
    reader = ImpactReader.of(rt)
    impact = reader.of_event(row) if kind == "event" else reader.of_incident(row)
    return JSON({**_said(CatalogNames(rt.catalog), kind, row, lang), "impact": impact})


@router.get(
    "/incidents",
    summary="Incidents, newest first",
    response_model=IncidentList,
    responses=errors(404, 422),
)
async def list_incidents(
    request: Request,
    service: str | None = None,
    state: IncidentStateQuery = None,
    since: Time = None,
    until: Time = None,
    limit: Limit = 100,
    offset: Offset = 0,
    lang: Lang = None,
) -> JSON:
    rt = runtime_of(request)
    if service is not None:
        rt.catalog.get(service)
    wanted = None if state is None else IncidentState(state)
    found = rt.store.page_incidents(service, wanted, *_window(since, until), limit, offset)
    return _answer(rt, "incidents", _documents(found), limit, offset, lang)


@router.get(
    "/incidents/{incident_id}",
    summary="One incident",
    response_model=dict[str, Any],
    responses=errors(404),
)
async def get_incident(request: Request, incident_id: str, lang: Lang = None) -> JSON:
    rt = runtime_of(request)
    row = rt.store.get_incident(incident_id)
    return _found(rt, None if row is None else row.data, "incident", incident_id, lang)


@router.get(
    "/events",
    summary="Events (incidents grouped by cause), newest first",
    response_model=EventList,
    responses=errors(422),
)
async def list_events(
    request: Request,
    state: EventStateQuery = None,
    since: Time = None,
    until: Time = None,
    limit: Limit = 100,
    offset: Offset = 0,
    lang: Lang = None,
) -> JSON:
    rt = runtime_of(request)
    wanted = None if state is None else EventState(state)
    found = rt.store.page_events(wanted, *_window(since, until), limit, offset)
    return _answer(rt, "events", _documents(found), limit, offset, lang)


@router.get(
    "/events/{event_id}",
    summary="One event",
    response_model=dict[str, Any],
    responses=errors(404),
)
async def get_event(request: Request, event_id: str, lang: Lang = None) -> JSON:
    rt = runtime_of(request)
    row = rt.store.get_event(event_id)
    return _found(rt, None if row is None else row.data, "event", event_id, lang)
