"""Atom feeds of incidents and official statements: every service together, or one service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from rasd.api.params import Lang, parse_lang
from rasd.api.shapes import errors
from rasd.http.process import runtime_of
from rasd.impact import ImpactReader
from rasd.incidents.model import IncidentState
from rasd.locale import N_, words
from rasd.locale.terms import incident_state, level_phrase
from rasd.notify.messages import STATEMENT_WORDS
from rasd.notify.statements import StatementStore
from rasd.runtime import Runtime
from rasd.store.rows import IncidentRow

router = APIRouter(tags=["feeds"])

ATOM = "application/atom+xml"
_FEED_TITLE = N_("Rasd: outages as they happen")
_RASD = N_("Rasd")
_SERVICE_TITLE = N_("Rasd: {name}")
_INCIDENT_TEXT = N_("{name}: {level} since {start} UTC ({state}).")
_ENDED = N_(" Back to normal at {end} UTC.")
_STATEMENT_TITLE = N_("{name}, official update: {status}")
_ATOM_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {ATOM: {}}, "description": "An Atom 1.0 feed"}
}


def _when(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _short(value: Any) -> str:
    return _when(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _feed(
    request: Request,
    rt: Runtime,
    lang: str,
    title: str,
    incidents: list[IncidentRow],
    statements: list[dict[str, Any]],
) -> Response:
    base = str(request.base_url).rstrip("/")
    _ = words(lang)
    feed = FeedGenerator()
    feed.id(str(request.url.replace(query="")))
    feed.title(title)
    feed.language(lang)
    feed.link(href=str(request.url), rel="self", type=ATOM)
    feed.link(href=base + "/", rel="alternate", type="text/html")
    feed.author({"name": _(_RASD)})
    stamps = [rt.clock.now()]
    entries: list[tuple[datetime, dict[str, Any]]] = []
    impacts = ImpactReader.of(rt)
    for incident in incidents:
        row = incident.data
        service = rt.catalog.services.get(incident.service)
        name = service.display_name(lang) if service else incident.service
        level = level_phrase(_, max(int(row.get("max_level", incident.level)), 1))
        text = _(
            _INCIDENT_TEXT,
            name=name,
            level=level,
            start=_short(row["start"]),
            state=incident_state(_, str(incident.state)),
        )
        if incident.state is IncidentState.RESOLVED and row.get("end"):
            text += _(_ENDED, end=_short(row["end"]))
        impact = impacts.of_incident(row)
        if impact is not None:
            text += " " + impact["sentence"][lang]
        entries.append(
            (
                _when(row["updated_at"]),
                {
                    "id": f"{base}/api/v1/incidents/{incident.id}",
                    "title": f"{name}: {level}",
                    "published": _when(row["detected_at"]),
                    "link": f"{base}/services/{incident.service}",
                    "text": text,
                    "category": incident.service,
                },
            )
        )
    for s in statements:
        service = rt.catalog.services.get(str(s["service"]))
        name = service.display_name(lang) if service else str(s["service"])
        entries.append(
            (
                _when(s["created_at"]),
                {
                    "id": f"{base}/api/v1/services/{s['service']}/statements#{s['id']}",
                    "title": _(_STATEMENT_TITLE, name=name, status=_(STATEMENT_WORDS[s["status"]])),
                    "published": _when(s["created_at"]),
                    "link": f"{base}/services/{s['service']}",
                    "text": s["message"].get(lang) or next(iter(s["message"].values()), ""),
                    "category": str(s["service"]),
                },
            )
        )
    # feedgen writes entries in reverse order of adding: add oldest first, newest on top
    entries.sort(key=lambda e: (e[0], e[1]["id"]))
    for updated, item in entries:
        entry = feed.add_entry()
        entry.id(item["id"])
        entry.title(item["title"])
        entry.updated(updated)
        entry.published(item["published"])
        entry.link(href=item["link"], rel="alternate", type="text/html")
        entry.summary(item["text"])
        entry.category(term=item["category"])
        stamps.append(updated)
    feed.updated(max(stamps) if entries else rt.clock.now())
    return Response(feed.atom_str(pretty=True), media_type=ATOM)


@router.get(
    "/feeds/incidents.atom",
    summary="Atom feed of every service's incidents and official statements",
    response_class=Response,
    responses={**_ATOM_DOC, **errors(422)},
)
async def all_incidents(
    request: Request, lang: Lang = None, limit: int = Query(50, ge=1, le=500)
) -> Response:
    rt = runtime_of(request)
    language = parse_lang(lang)
    incidents = rt.store.list_incidents(limit=limit)
    statements, _ = StatementStore(rt.store, rt.clock).page(limit=limit)
    return _feed(request, rt, language, words(language)(_FEED_TITLE), incidents, statements)


@router.get(
    "/feeds/services/{service_id}.atom",
    summary="Atom feed of one service's incidents and official statements",
    response_class=Response,
    responses={**_ATOM_DOC, **errors(404, 422)},
)
async def service_incidents(
    request: Request,
    service_id: str,
    lang: Lang = None,
    limit: int = Query(50, ge=1, le=500),
) -> Response:
    rt = runtime_of(request)
    language = parse_lang(lang)
    service = rt.catalog.get(service_id)
    incidents = rt.store.list_incidents(service=service.id, limit=limit)
    statements, _ = StatementStore(rt.store, rt.clock).page(service=service.id, limit=limit)
    title = words(language)(_SERVICE_TITLE, name=service.display_name(language))
    return _feed(request, rt, language, title, incidents, statements)
