"""Atom feeds of incidents and official statements: every service together, or one service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from rasd.api.params import parse_lang
from rasd.api.shapes import errors
from rasd.impact import ImpactReader
from rasd.locale import words
from rasd.locale.terms import level_phrase
from rasd.notify.messages import STATEMENT_WORDS
from rasd.notify.statements import StatementStore
from rasd.runtime import Runtime

router = APIRouter(tags=["feeds"])

ATOM = "application/atom+xml"
_FEED_TITLE = {"en": "Rasd: outages as they happen", "ar": "رصد: الأعطال لحظة وقوعها"}
_SERVICE_TITLE = {"en": "Rasd: {name}", "ar": "رصد: {name}"}
_STATES = {
    "opened": {"en": "ongoing", "ar": "مستمر"},
    "ongoing": {"en": "ongoing", "ar": "مستمر"},
    "recovering": {"en": "recovering", "ar": "في طور التعافي"},
    "resolved": {"en": "resolved", "ar": "انتهى"},
}
_INCIDENT_TEXT = {
    "en": "{name}: {level} since {start} UTC ({state}).",
    "ar": "{name}: {level} منذ {start} بتوقيت UTC ({state}).",
}
_ENDED = {"en": " Back to normal at {end} UTC.", "ar": " عادت إلى طبيعتها في {end} بتوقيت UTC."}
_STATEMENT_TITLE = {"en": "{name}, official update: {status}", "ar": "{name}، بيان رسمي: {status}"}
_ATOM_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {ATOM: {}}, "description": "An Atom 1.0 feed"}
}


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _when(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _short(value: Any) -> str:
    return _when(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _feed(
    request: Request,
    rt: Runtime,
    lang: str,
    title: str,
    incidents: list[dict[str, Any]],
    statements: list[dict[str, Any]],
) -> Response:
    base = str(request.base_url).rstrip("/")
    feed = FeedGenerator()
    feed.id(str(request.url.replace(query="")))
    feed.title(title)
    feed.language(lang)
    feed.link(href=str(request.url), rel="self", type=ATOM)
    feed.link(href=base + "/", rel="alternate", type="text/html")
    feed.author({"name": "Rasd" if lang == "en" else "رصد"})
    stamps = [rt.clock.now()]
    entries: list[tuple[datetime, dict[str, Any]]] = []
    impacts = ImpactReader.of(rt)
    for row in incidents:
        service = rt.catalog.services.get(str(row["service"]))
        name = service.display_name(lang) if service else str(row["service"])
        level = level_phrase(words(lang), max(int(row.get("max_level", row.get("level", 1))), 1))
        text = _INCIDENT_TEXT[lang].format(
            name=name,
            level=level,
            start=_short(row["start"]),
            state=_STATES.get(str(row["state"]), _STATES["ongoing"])[lang],
        )
        if row.get("state") == "resolved" and row.get("end"):
            text += _ENDED[lang].format(end=_short(row["end"]))
        impact = impacts.of_incident(row)
        if impact is not None:
            text += " " + impact["sentence"][lang]
        entries.append(
            (
                _when(row["updated_at"]),
                {
                    "id": f"{base}/api/v1/incidents/{row['id']}",
                    "title": f"{name}: {level}",
                    "published": _when(row["detected_at"]),
                    "link": f"{base}/services/{row['service']}",
                    "text": text,
                    "category": str(row["service"]),
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
                    "title": _STATEMENT_TITLE[lang].format(
                        name=name, status=STATEMENT_WORDS[s["status"]][lang]
                    ),
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
    request: Request, lang: str | None = None, limit: int = Query(50, ge=1, le=500)
) -> Response:
    rt = _runtime(request)
    language = parse_lang(lang)
    incidents = rt.store.list_incidents(limit=limit)
    statements, _ = StatementStore(rt.store, rt.clock).page(limit=limit)
    return _feed(request, rt, language, _FEED_TITLE[language], incidents, statements)


@router.get(
    "/feeds/services/{service_id}.atom",
    summary="Atom feed of one service's incidents and official statements",
    response_class=Response,
    responses={**_ATOM_DOC, **errors(404, 422)},
)
async def service_incidents(
    request: Request,
    service_id: str,
    lang: str | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> Response:
    rt = _runtime(request)
    language = parse_lang(lang)
    service = rt.catalog.get(service_id)
    incidents = rt.store.list_incidents(service=service.id, limit=limit)
    statements, _ = StatementStore(rt.store, rt.clock).page(service=service.id, limit=limit)
    title = _SERVICE_TITLE[language].format(name=service.display_name(language))
    return _feed(request, rt, language, title, incidents, statements)
