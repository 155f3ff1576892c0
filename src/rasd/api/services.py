"""GET /api/v1/services, /services/{id}, its /series and /networks: what people look at."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from rasd.api.params import Lang, Step, Time, parse_lang, parse_window
from rasd.catalog import Service
from rasd.clock import counted_until, minute_of, minute_start
from rasd.detect.decision import Status, status_of
from rasd.http.process import runtime_of
from rasd.http.responses import JSON
from rasd.reading.reports import networks
from rasd.runtime import Runtime
from rasd.series import PROBLEM_PREFIX, REPORTS, WORLD, SeriesKey
from rasd.signals.sample import saying
from rasd.store.rows import IncidentRow, level_now

router = APIRouter(prefix="/api/v1", tags=["services"])


def service_summary(rt: Runtime, service: Service, lang: str) -> dict[str, Any]:
    return {
        "id": service.id,
        "name": service.display_name(lang),
        "names": service.name,
        "owner": service.owner,
        "owner_name": rt.catalog.owner_name(service.owner, lang),
        "category": service.category,
        "category_name": rt.catalog.category_name(service.category, lang),
        "countries": list(service.countries),
    }


def incident_status(incident: IncidentRow | None) -> dict[str, Any]:
    level = level_now(incident)
    if incident is None:
        return {"level": level, "status": Status.OK, "incident": None}
    return {"level": level, "status": status_of(level), "incident": incident.id}


@router.get("/services", summary="Every service, with its status now")
async def list_services(
    request: Request,
    lang: Lang = None,
    category: str | None = None,
    country: str | None = None,
    q: str | None = Query(None, max_length=100),
) -> JSON:
    rt = runtime_of(request)
    language = parse_lang(lang)
    services = list(rt.catalog)
    if q:
        services = rt.catalog.find(q, limit=50)
    if category:
        services = [s for s in services if s.category == category]
    if country:
        services = [s for s in services if not s.countries or country.upper() in s.countries]
    incidents = rt.store.open_incidents()
    items = []
    for service in services:
        item = service_summary(rt, service, language)
        item.update(incident_status(incidents.get(service.id)))
        items.append(item)
    if not q:
        items.sort(key=lambda i: -int(i["level"]))
    return JSON({"services": items, "count": len(items)})


@router.get("/services/{service_id}", summary="One service: status, recent reports, top problems")
async def get_service(request: Request, service_id: str, lang: Lang = None) -> JSON:
    rt = runtime_of(request)
    language = parse_lang(lang)
    service = rt.catalog.get(service_id)
    now = minute_of(rt.clock.now())
    day_ago = now - 24 * 60
    reports_24h = rt.store.total(SeriesKey(service.id, REPORTS, WORLD), day_ago, now + 1)
    problems: list[dict[str, Any]] = []
    for problem in service.problems:
        n = rt.store.total(SeriesKey(service.id, PROBLEM_PREFIX + problem, WORLD), day_ago, now + 1)
        problems.append(
            {"id": problem, "name": rt.catalog.problem_name(problem, language), "reports": n}
        )
    total = sum(int(p["reports"]) for p in problems)
    for p in problems:
        p["share"] = round(int(p["reports"]) / total, 4) if total else 0.0
    problems.sort(key=lambda p: -int(p["reports"]))
    incident = rt.store.open_incidents(service.id).get(service.id)
    body = service_summary(rt, service, language)
    body.update(incident_status(incident))
    body.update(
        {
            "problems": problems,
            "problem_types": list(service.problems),
            "reports_24h": reports_24h,
            "domains": list(service.domains),
            "status_url": service.status_url,
            "open_incident": incident,
            # newest complaint posts of the live streams (text, lang, at, link, label, source)
            "saying": saying(rt, service.id),
        }
    )
    return JSON(body)


@router.get(
    "/services/{service_id}/networks",
    summary="The networks (AS number, name, country) people report a service from",
)
async def get_networks(
    request: Request,
    service_id: str,
    since: Time = None,
    until: Time = None,
    lang: Lang = None,
    top: int = Query(10, ge=1, le=100),
) -> JSON:
    rt = runtime_of(request)
    service = rt.catalog.get(service_id)
    since_t, until_t, _ = parse_window(since, until, None, rt.clock.now())
    start, end = minute_of(since_t), minute_of(until_t) + 1
    found = networks(rt, service.id, parse_lang(lang), start, end, top)
    return JSON(
        {
            "service": service.id,
            "since": minute_start(start).isoformat(),
            "until": minute_start(end).isoformat(),
            "network_data": found["data"],
            "total": found["total"],
            "networks": found["networks"],
        }
    )


@router.get("/services/{service_id}/series", summary="Counts per step of one series")
async def get_series(
    request: Request,
    service_id: str,
    signal: str = REPORTS,
    region: str = WORLD,
    since: Time = None,
    until: Time = None,
    step: Step = None,
) -> JSON:
    rt = runtime_of(request)
    service = rt.catalog.get(service_id)
    since_t, until_t, step_m = parse_window(since, until, step, rt.clock.now())
    start, end = minute_of(since_t), minute_of(until_t) + 1
    counts = rt.store.read_counts(SeriesKey(service.id, signal, region), start, end, step_m)
    baseline = None
    engine = rt.engine
    if engine is not None:
        baseline = engine.baseline(SeriesKey(service.id, signal, region), counts.minutes, step_m)
    complete = counted_until(getattr(engine, "last_minute", None), rt.clock.now())
    # a step is complete once its last minute is; later ones are marked, not left to read as 0
    points = [
        {"t": minute_start(m).isoformat(), "n": n, "complete": m + step_m <= complete}
        for m, n in zip(counts.minutes, counts.values, strict=True)
    ]
    return JSON(
        {
            "service": service.id,
            "signal": signal,
            "region": region,
            "step": step_m,
            "since": minute_start(counts.minutes[0] if counts.minutes else start).isoformat(),
            "until": minute_start(end).isoformat(),
            "complete_until": minute_start(complete).isoformat(),
            "points": points,
            "baseline": baseline,
        }
    )
