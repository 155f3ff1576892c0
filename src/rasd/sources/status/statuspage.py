"""Atlassian Statuspage's public API v2, and incident.io pages, which serve the same shapes.

`summary.json` holds the indicator, the components, the unresolved incidents with their
updates and the maintenances in progress or to come; `incidents.json` the 50 most recent
incidents, resolved ones too, read when an open incident leaves the summary. incident.io
writes `null` for no incidents, leaves `components` off its incidents and has no shortlinks.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from rasd.signals.status import (
    CLOSED,
    DEGRADED,
    MAINTENANCE,
    MAJOR,
    OPERATIONAL,
    PARTIAL,
    Format,
    Incident,
    Maintenance,
    Reading,
    Update,
    plain,
    text_id,
    when,
)
from rasd.sources.status._json import decode, items, table

IMPACTS = {"none": OPERATIONAL, "minor": DEGRADED, "major": PARTIAL, "critical": MAJOR}
COMPONENT_STATES: dict[str, int | str] = {
    "operational": OPERATIONAL,
    "degraded_performance": DEGRADED,
    "partial_outage": PARTIAL,
    "major_outage": MAJOR,
    "under_maintenance": MAINTENANCE,
}
_IN_PROGRESS = frozenset({"in_progress", "verifying"})


def _main(link: str, feed: str | None) -> str:
    return feed or urljoin(link, "api/v2/summary.json")


def _history(main: str) -> str | None:
    return main.replace("summary.json", "incidents.json") if main.endswith("summary.json") else None


def _pseudo(name: str) -> bool:
    # GitHub lists "Visit www.githubstatus.com for more information" as a component
    return name.lower().startswith("visit ") and "for more information" in name.lower()


def _components(doc: dict[str, Any]) -> dict[str, int | str]:
    out: dict[str, int | str] = {}
    for item in items(doc.get("components")):
        name = item.get("name")
        if not isinstance(name, str) or item.get("group") is True or _pseudo(name):
            continue
        state = COMPONENT_STATES.get(str(item.get("status")))
        if state is not None:
            out[name] = state
    return out


def _names(entries: Any) -> tuple[str, ...]:
    return tuple(str(c["name"]) for c in items(entries) if isinstance(c.get("name"), str))


def _link(incident: dict[str, Any], link: str) -> str:
    short = incident.get("shortlink")
    if isinstance(short, str) and short.startswith(("https://", "http://")):
        return short
    return urljoin(link, f"incidents/{text_id(incident.get('id'))}")


def _updates(incident: dict[str, Any], link: str, maintenance: bool) -> list[Update]:
    ident = text_id(incident.get("id"))
    if not ident:
        return []
    title = plain(incident.get("name"), 300)
    impact = IMPACTS.get(str(incident.get("impact")))
    url = _link(incident, link)
    out = []
    for u in items(incident.get("incident_updates")):
        at = when(u.get("display_at")) or when(u.get("created_at"))
        update_id = text_id(u.get("id"))
        if at is None or not update_id:
            continue
        named = _names(u.get("affected_components")) or _names(incident.get("components"))
        out.append(
            Update(
                incident=ident,
                update=update_id,
                status=str(u.get("status") or incident.get("status") or "")[:32],
                title=title,
                body=plain(u.get("body")),
                at=at,
                impact=impact,
                url=url,
                components=named,
                maintenance=maintenance,
            )
        )
    return out


def parse(body: bytes, link: str) -> Reading:
    doc = table(decode(body), "summary")
    status = doc.get("status")
    indicator_word = str(status.get("indicator")) if isinstance(status, dict) else ""
    reading = Reading(
        indicator=IMPACTS.get(indicator_word),
        indicator_maintenance=indicator_word == MAINTENANCE,
        components=_components(doc),
    )
    for incident in items(doc.get("incidents")):
        ident = text_id(incident.get("id"))
        reading.updates.extend(_updates(incident, link, maintenance=False))
        if not ident or str(incident.get("status")) in CLOSED:
            continue
        reading.incidents.append(
            Incident(
                id=ident,
                title=plain(incident.get("name"), 300),
                impact=IMPACTS.get(str(incident.get("impact")), DEGRADED),
                components=_names(incident.get("components")),
                url=_link(incident, link),
            )
        )
    for work in items(doc.get("scheduled_maintenances")):
        ident = text_id(work.get("id"))
        state = str(work.get("status"))
        if not ident or state in CLOSED:
            continue
        reading.updates.extend(_updates(work, link, maintenance=True))
        reading.maintenances.append(
            Maintenance(
                id=ident,
                title=plain(work.get("name"), 300),
                components=_names(work.get("components")),
                starts=when(work.get("scheduled_for")),
                ends=when(work.get("scheduled_until")),
                in_progress=state in _IN_PROGRESS,
            )
        )
    return reading


def parse_history(body: bytes, link: str) -> list[Update]:
    doc = table(decode(body), "incidents")
    out: list[Update] = []
    for incident in items(doc.get("incidents")):
        out.extend(_updates(incident, link, maintenance=False))
    return out


STATUSPAGE = Format("statuspage", _main, parse, _history, parse_history)
INCIDENT_IO = Format("incidentio", _main, parse, _history, parse_history)
