"""What each page shows, as plain data: the templates render it and the JSON twins return it.

"Now" is the runtime's clock, never the wall clock, so a replay's visitors see replay time.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pycountry

from rasd.catalog import Service
from rasd.clock import counted_until, minute_of, minute_start
from rasd.detect.decision import status_of
from rasd.errors import NotFound
from rasd.impact import ImpactReader
from rasd.incidents.model import IncidentState
from rasd.locale import words as locale_words
from rasd.locale.findings import said_event
from rasd.locale.phrases import CatalogNames
from rasd.reading.reports import networks
from rasd.runtime import Runtime
from rasd.series import REPORTS, WORLD, SeriesKey, region_level
from rasd.signals.sample import saying
from rasd.store import queries
from rasd.store.rows import EventRow, EventState, IncidentRow, level_now
from rasd.web import official
from rasd.web.i18n import number, strings

SPARK_STEP = 15  # minutes per sparkline point: 96 points a day
CHART_STEP = 5  # minutes per bar of a service's day chart
DAY = 24 * 60


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _day_window(now: datetime, step: int) -> tuple[int, int]:
    """[since, until) in minutes: the last 24 hours, in whole buckets, ending with this minute."""
    until = minute_of(now) + 1
    until += (-until) % step
    return until - DAY, until


def _counted_until(rt: Runtime) -> int:
    engine = rt.engine
    return counted_until(getattr(engine, "last_minute", None), rt.clock.now())


def live_events(rt: Runtime) -> list[dict[str, Any]]:
    """Events going on, the most severe and widest first."""
    events = [e for e in rt.store.list_events(limit=200) if e.is_open]
    events.sort(key=lambda e: (-e.level, -len(e.primary)))
    return [e.data for e in events]


def _said(rt: Runtime, event: dict[str, Any], lang: str) -> dict[str, Any]:
    """The event with its title, timeline and causes in the page's language."""
    return said_event(event, CatalogNames(rt.catalog), (lang,))


def _title(event: dict[str, Any], lang: str) -> str:
    title = event.get("title") or {}
    return str(title.get(lang) or title.get("en") or event.get("id", ""))


def _event_brief(event: dict[str, Any], lang: str) -> dict[str, Any]:
    return {
        "id": event["id"],
        "title": _title(event, lang),
        "start": event.get("start"),
        "end": event.get("end"),
        "state": event.get("state"),
        "level": int(event.get("level", 1)),
        "kind": event.get("kind"),
    }


SPARK_WIDTH, SPARK_HEIGHT = 190, 32  # the SVG's viewBox: two units per point


def spark_points(values: list[int]) -> str:
    """An SVG polyline for a sparkline; the page's script draws updates the same way."""
    if not values:
        return ""
    top = max(max(values), 1)
    dx = SPARK_WIDTH / max(len(values) - 1, 1)
    return " ".join(
        f"{round(i * dx)},{round(SPARK_HEIGHT - 1 - (v / top) * (SPARK_HEIGHT - 2))}"
        for i, v in enumerate(values)
    )


def client_view(view: dict[str, Any]) -> dict[str, Any]:
    """What the page's script needs of a view: the home page's cards stay in the markup."""
    if view.get("page") != "home":
        return view
    sparks = {c["id"]: c["spark"] for g in view["groups"] for c in g["services"]}
    return {"page": "home", "now": view["now"], "spark": view["spark"], "sparks": sparks}


def _card(
    rt: Runtime, service: Service, lang: str, incident: IncidentRow | None, spark: list[int]
) -> dict[str, Any]:
    level = level_now(incident)
    return {
        "id": service.id,
        "name": service.display_name(lang),
        "owner_name": rt.catalog.owner_name(service.owner, lang),
        "category": service.category,
        "category_name": rt.catalog.category_name(service.category, lang),
        "level": level,
        "status": status_of(level),
        "since": incident.data.get("start") if incident else None,
        "spark": spark,
        "points": spark_points(spark),
        "total": sum(spark),
    }


_SPARK_TTL = 2.0  # seconds: the live stream carries what changes in between


class SharedSparks:
    """The last day of reports drawn for the home page: (window, when, sparks), replaced as
    time passes, so held apart from the fixed process."""

    def __init__(self) -> None:
        self.held: tuple[tuple[int, int], float, dict[str, list[int]]] | None = None


def _recent_sparks(rt: Runtime, since: int, until: int) -> dict[str, list[int]]:
    """Every service's day of reports, shared by every visitor for a couple of seconds:
    the one query of the home page that reads a whole day of counts."""
    now = time.monotonic()
    hit = rt.sparks.held
    if hit is not None and hit[0] == (since, until) and now - hit[1] < _SPARK_TTL:
        return dict(hit[2])
    sparks = queries.world_reports(rt.store, None, since, until, SPARK_STEP)
    rt.sparks.held = ((since, until), now, sparks)
    return dict(sparks)


def countries_named(rt: Runtime, codes: set[str], lang: str) -> list[dict[str, str]]:
    named = [{"code": c, "name": rt.places.country_name(c, lang)} for c in codes]
    return sorted(named, key=lambda c: c["name"])


def home(
    rt: Runtime, lang: str, *, category: str | None = None, country: str | None = None
) -> dict[str, Any]:
    now = rt.clock.now()
    since, until = _day_window(now, SPARK_STEP)
    services = list(rt.catalog)
    if category:
        services = [s for s in services if s.category == category]
    if country:
        services = [s for s in services if not s.countries or country in s.countries]
    incidents = rt.store.open_incidents()
    sparks = _recent_sparks(rt, since, until)
    empty = [0] * ((until - since) // SPARK_STEP)
    cards = [_card(rt, s, lang, incidents.get(s.id), sparks.get(s.id, empty)) for s in services]
    groups: dict[int, list[dict[str, Any]]] = {2: [], 1: [], 0: []}
    for card in cards:
        groups[card["level"]].append(card)
    for level in (2, 1):
        groups[level].sort(key=lambda c: -int(c["total"]))
    all_countries = {c for s in rt.catalog for c in s.countries}
    return {
        "page": "home",
        "lang": lang,
        "now": _iso(now),
        "spark": {"since": _iso(minute_start(since)), "step": SPARK_STEP, "size": len(empty)},
        "events": [_event_brief(_said(rt, e, lang), lang) for e in live_events(rt)],
        "groups": [{"level": level, "services": groups[level]} for level in (2, 1, 0)],
        "categories": sorted(
            (
                {"id": cid, "name": rt.catalog.category_name(cid, lang)}
                for cid in {s.category for s in rt.catalog}
            ),
            key=lambda c: c["name"],
        ),
        "countries": countries_named(rt, all_countries, lang),
        "filters": {"category": category, "country": country},
    }


def _numeric(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code)
    return str(country.numeric) if country is not None else None


def regions(rt: Runtime, service_id: str, lang: str, since: int, until: int) -> dict[str, Any]:
    """Reports per country and per city, with what the map needs to place them."""
    countries: list[dict[str, Any]] = []
    cities: list[dict[str, Any]] = []
    for region, n in queries.region_reports(rt.store, service_id, since, until).items():
        if region_level(region) == "country":
            if not rt.places.country_exists(region):
                continue
            countries.append(
                {
                    "code": region,
                    "numeric": _numeric(region),
                    "name": rt.places.country_name(region, lang),
                    "reports": n,
                }
            )
        else:
            city = rt.places.city_by_region(region)
            if city is None:
                continue
            name = rt.places.city_name(city, lang)
            cities.append(
                {
                    "region": region,
                    "name": name,
                    "country": city.country,
                    "lat": city.lat,
                    "lon": city.lon,
                    "reports": n,
                }
            )
    countries.sort(key=lambda c: -int(c["reports"]))
    cities.sort(key=lambda c: -int(c["reports"]))
    return {"countries": countries, "cities": cities[:300]}


def _timeline_of_incident(row: IncidentRow, lang: str) -> list[dict[str, Any]]:
    t = strings(lang)
    incident = row.data
    out: list[dict[str, Any]] = []
    level = int(incident.get("max_level", incident.get("level", 1)))

    def add(at: Any, kind: str, text: str) -> None:
        if at:
            out.append(
                {
                    "at": at,
                    "kind": kind,
                    "source": "rasd",
                    "text": text,
                    "incident": incident.get("id"),
                }
            )

    add(incident.get("start"), "onset", t["tl_opened_1"])
    detected = t["tl_detected"] + " " + t[f"level_{max(1, min(level, 2))}"] + "."
    add(incident.get("detected_at"), "detected", detected)
    peak = incident.get("peak") or {}
    if peak.get("at") and float(peak.get("observed", 0)) > 0:
        add(
            peak["at"],
            "peak",
            t["tl_peak"].format(
                n=number(float(peak["observed"]), lang),
                x=number(float(peak.get("ratio", 0)), lang, 1),
            ),
        )
    if incident.get("relapses"):
        add(
            incident.get("updated_at"),
            "relapse",
            t["tl_relapses"].format(n=number(int(incident["relapses"]), lang)),
        )
    if incident.get("probe_failures"):
        add(incident.get("detected_at"), "probes", t["tl_probes"])
    if row.state is IncidentState.RECOVERING:
        add(incident.get("updated_at"), "recovering", t["tl_recovering"])
    if row.state is IncidentState.RESOLVED:
        add(incident.get("end"), "resolved", t["tl_resolved"])
    return out


def _event_log(event: dict[str, Any], lang: str, service: str | None) -> list[dict[str, Any]]:
    out = []
    for entry in event.get("log") or []:
        if service is not None and entry.get("services") and service not in entry["services"]:
            continue
        text = entry.get("text") or {}
        out.append(
            {
                "at": entry.get("at"),
                "kind": entry.get("kind"),
                "source": "rasd",
                "text": text.get(lang) or text.get("en") or "",
            }
        )
    return out


def _official(rt: Runtime, service: str, lang: str) -> list[dict[str, Any]]:
    """Statements the service's operator posted (with an admin or statements token)."""
    from rasd.notify.messages import STATEMENT_WORDS
    from rasd.notify.statements import StatementStore

    statements, _ = StatementStore(rt.store, rt.clock).page(service=service, limit=20)
    said = locale_words(lang)
    out = []
    for entry in statements:
        text = entry.get("message") or {}
        status = str(entry.get("status") or "")
        words = text.get(lang) or text.get("en") or ""
        label = said(STATEMENT_WORDS[status]) if status in STATEMENT_WORDS else status
        out.append(
            {
                "at": entry.get("created_at"),
                "kind": "statement",
                "source": "official",
                "status": status,
                "text": f"{label}: {words}" if label else words,
                "url": None,
            }
        )
    return out


def _sorted_timeline(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for item in items:
        key = (item.get("at"), item.get("text"))
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return sorted(unique, key=lambda i: str(i.get("at") or ""), reverse=True)


def _event_of(rt: Runtime, service_id: str, incident_ids: set[str]) -> EventRow | None:
    for event in rt.store.list_events(limit=200):
        if event.is_merged:
            continue
        owned = set(event.incidents.values())
        if owned & incident_ids or service_id in event.services:
            if event.state is not EventState.RESOLVED or owned & incident_ids:
                return event
    return None


COMMENTS_SHOWN = 20


def page_comments(rt: Runtime, service_id: str, lang: str) -> list[dict[str, Any]]:
    """The newest shown comments, with their problem and country named in the page's language."""
    from rasd.comments import described

    rows, _ = rt.comments.shown(service_id, limit=COMMENTS_SHOWN)
    shown = []
    for comment in rows:
        full = described(rt, comment, comment.public())
        shown.append(
            {
                "id": comment.id,
                "text": comment.text,
                "at": full["created_at"],
                "problem": (full["problem_name"] or {}).get(lang),
                "place": (full["country_name"] or {}).get(lang),
            }
        )
    return shown


def service(rt: Runtime, service_id: str, lang: str) -> dict[str, Any]:
    svc = rt.catalog.get(service_id)
    now = rt.clock.now()
    since, until = _day_window(now, CHART_STEP)
    key = SeriesKey(svc.id, REPORTS, WORLD)
    counts = rt.store.read_counts(key, since, until, CHART_STEP)
    engine = rt.engine
    baseline = engine.baseline(key, counts.minutes, CHART_STEP) if engine is not None else None
    total = sum(counts.values)
    by_problem = queries.problem_reports(rt.store, svc.id, since, until)
    problem_total = sum(by_problem.values())
    problems: list[dict[str, Any]] = [
        {
            "id": p,
            "name": rt.catalog.problem_name(p, lang),
            "reports": by_problem.get(p, 0),
            "share": round(by_problem.get(p, 0) / problem_total, 4) if problem_total else 0.0,
        }
        for p in svc.problems
    ]
    problems.sort(key=lambda p: -int(p["reports"]))
    day_ago_ms = (minute_of(now) - DAY) * 60_000
    recent = rt.store.list_incidents(service=svc.id, since_ms=day_ago_ms, limit=20)
    incident = rt.store.open_incidents(svc.id).get(svc.id)
    level = level_now(incident)
    timeline: list[dict[str, Any]] = []
    for item in recent:
        timeline.extend(_timeline_of_incident(item, lang))
    event = _event_of(rt, svc.id, {i.id for i in recent})
    shown = _said(rt, event.data, lang) if event is not None else None
    related: list[dict[str, Any]] = []
    if event is not None and shown is not None:
        timeline.extend(_event_log(shown, lang, svc.id))
        related = _event_services(rt, event.data, lang, exclude=svc.id)
    timeline.extend(_official(rt, svc.id, lang))
    timeline.extend(official.timeline(rt, [svc.id], lang))
    return {
        "page": "service",
        "lang": lang,
        "now": _iso(now),
        "service": {
            "id": svc.id,
            "name": svc.display_name(lang),
            "owner_name": rt.catalog.owner_name(svc.owner, lang),
            "category": svc.category,
            "category_name": rt.catalog.category_name(svc.category, lang),
            "status_url": svc.status_url,
            "problem_types": [
                {"id": p, "name": rt.catalog.problem_name(p, lang)} for p in svc.problems
            ],
        },
        "status": {
            "level": level,
            "status": status_of(level),
            "since": incident.data.get("start") if incident else None,
            "incident": incident.id if incident else None,
        },
        "chart": {
            "step": CHART_STEP,
            "complete_until": _iso(minute_start(_counted_until(rt))),
            "since": _iso(minute_start(since)),
            "times": [_iso(minute_start(m)) for m in counts.minutes],
            "values": counts.values,
            "baseline": baseline,
        },
        "total_24h": total,
        "problems": problems,
        "regions": regions(rt, svc.id, lang, since, until),
        "networks": networks(rt, svc.id, lang, since, until),
        "timeline": _sorted_timeline(timeline),
        "saying": saying(rt, svc.id),
        "comments": page_comments(rt, svc.id, lang),
        "event": _event_brief(shown, lang) if shown is not None else None,
        "related": related,
        "official": official.panel(rt, svc.id, lang, level, event),
    }


def _event_services(
    rt: Runtime, event: dict[str, Any], lang: str, exclude: str | None = None
) -> list[dict[str, Any]]:
    incidents = rt.store.open_incidents()
    out = []
    for role in ("primary", "spillover"):
        for sid in event.get(role) or []:
            if sid == exclude or sid not in rt.catalog:
                continue
            level = level_now(incidents.get(sid))
            out.append(
                {
                    "id": sid,
                    "name": rt.catalog.get(sid).display_name(lang),
                    "role": role,
                    "level": level,
                    "status": status_of(level),
                }
            )
    return out


def _find_event(rt: Runtime, event_id: str) -> dict[str, Any]:
    for event in rt.store.list_events(limit=1000):
        if event.id == event_id:
            return event.data
    raise NotFound(
        f"no event {event_id!r}",
        details=[{"field": "event_id", "reason": "unknown", "value": event_id}],
    )


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def event(rt: Runtime, event_id: str, lang: str) -> dict[str, Any]:
    data = _said(rt, _find_event(rt, event_id), lang)
    now = rt.clock.now()
    start = _parse(data.get("start")) or now
    end = _parse(data.get("end")) or now
    since = minute_of(start - timedelta(hours=1))
    until = minute_of(min(now, end + timedelta(hours=1))) + 1
    span = max(until - since, 1)
    step = 1 if span <= 3 * 60 else 5 if span <= 12 * 60 else 15
    since -= since % step
    until += (-until) % step
    services = [s for s in (data.get("primary") or []) + (data.get("spillover") or [])]
    series = queries.world_reports(rt.store, services, since, until, step)
    size = (until - since) // step
    hints = []
    for hint in data.get("cause_hints") or []:
        text = hint.get("text") or {}
        hints.append(
            {
                "code": hint.get("code"),
                "text": text.get(lang) or text.get("en") or "",
                "services": [
                    rt.catalog.get(s).display_name(lang)
                    for s in hint.get("services") or []
                    if s in rt.catalog
                ],
            }
        )
    return {
        "page": "event",
        "lang": lang,
        "now": _iso(now),
        "event": _event_brief(data, lang),
        "owner_name": rt.catalog.owner_name(data["owner"], lang) if data.get("owner") else None,
        "services": _event_services(rt, data, lang),
        "countries": [
            {"code": c, "name": rt.places.country_name(c, lang)}
            for c in data.get("countries") or []
            if rt.places.country_exists(c)
        ],
        "cause_hints": hints,
        "impact": ImpactReader.of(rt).of_event(data),
        "cause": (data.get("cause") or {}).get(lang) or (data.get("cause") or {}).get("en"),
        "timeline": _sorted_timeline(
            _event_log(data, lang, None)
            + official.timeline(rt, services, lang, start - timedelta(hours=1), end)
        ),
        "chart": {
            "step": step,
            "complete_until": _iso(minute_start(_counted_until(rt))),
            "times": [_iso(minute_start(since + i * step)) for i in range(size)],
            "series": [
                {
                    "id": s,
                    "name": rt.catalog.get(s).display_name(lang),
                    "role": "primary" if s in (data.get("primary") or []) else "spillover",
                    "values": series.get(s, [0] * size),
                }
                for s in services
                if s in rt.catalog
            ],
        },
    }


def history(rt: Runtime, lang: str, service_id: str | None = None) -> dict[str, Any]:
    svc = rt.catalog.get(service_id) if service_id else None
    now = rt.clock.now()
    rows = []
    for row in rt.store.list_incidents(service=service_id, limit=300):
        sid, incident = row.service, row.data
        if sid not in rt.catalog:
            continue
        start = _parse(incident.get("start"))
        end = _parse(incident.get("end"))
        minutes = int(((end or now) - start).total_seconds() // 60) if start else 0
        peak = incident.get("peak") or {}
        severity = incident.get("severity") or {}
        rows.append(
            {
                "id": row.id,
                "service": sid,
                "name": rt.catalog.get(sid).display_name(lang),
                "start": incident.get("start"),
                "end": incident.get("end"),
                "minutes": max(minutes, 0),
                "peak": float(peak.get("observed", 0.0)),
                "ratio": float(peak.get("ratio", 0.0)),
                "grade": severity.get("grade"),
                "state": str(row.state),
                "level": int(incident.get("max_level", incident.get("level", 1))),
            }
        )
    return {
        "page": "history",
        "lang": lang,
        "now": _iso(now),
        "service": {"id": svc.id, "name": svc.display_name(lang)} if svc else None,
        "incidents": rows,
    }
