"""Instatus pages: `/v3/summary.json` gives the page's status (UP, HASISSUES,
UNDERMAINTENANCE) with the incidents and maintenances in progress, which it leaves out
altogether when there are none."""

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

_PAGE = {"UP": OPERATIONAL, "HASISSUES": PARTIAL}
STATES: dict[str, int | str] = {
    "OPERATIONAL": OPERATIONAL,
    "DEGRADEDPERFORMANCE": DEGRADED,
    "PARTIALOUTAGE": PARTIAL,
    "MAJOROUTAGE": MAJOR,
    "UNDERMAINTENANCE": MAINTENANCE,
}


def _main(link: str, feed: str | None) -> str:
    return feed or urljoin(link, "v3/summary.json")


def _names(entries: Any) -> tuple[str, ...]:
    return tuple(str(c["name"]) for c in items(entries) if isinstance(c.get("name"), str))


def _impact(value: Any) -> int:
    state = STATES.get(str(value).upper())
    return state if isinstance(state, int) and state > OPERATIONAL else DEGRADED


def parse(body: bytes, link: str) -> Reading:
    doc = table(decode(body), "summary")
    page = doc.get("page")
    word = str(page.get("status")).upper() if isinstance(page, dict) else ""
    reading = Reading(indicator=_PAGE.get(word), indicator_maintenance=word == "UNDERMAINTENANCE")
    for item in items(doc.get("components")):
        state = STATES.get(str(item.get("status")).upper())
        if isinstance(item.get("name"), str) and state is not None:
            reading.components[item["name"]] = state
    for incident in items(doc.get("activeIncidents")):
        ident = text_id(incident.get("id"))
        if not ident:
            continue
        status = str(incident.get("status") or "").lower()
        url = incident.get("url") if isinstance(incident.get("url"), str) else None
        url = url or urljoin(link, f"incident/{ident}")
        impact = _impact(incident.get("impact"))
        title = plain(incident.get("name"), 300)
        at = when(incident.get("updated")) or when(incident.get("started"))
        if at is not None:
            # the summary carries an incident's state, not its updates: one per state seen
            reading.updates.append(
                Update(
                    ident,
                    status or "open",
                    status,
                    title,
                    title,
                    at,
                    impact,
                    url,
                    _names(incident.get("components")),
                )
            )
        if status not in CLOSED:
            reading.incidents.append(
                Incident(ident, title, impact, _names(incident.get("components")), url)
            )
    for work in items(doc.get("activeMaintenances")):
        ident = text_id(work.get("id"))
        if not ident:
            continue
        status = str(work.get("status") or "").lower()
        reading.maintenances.append(
            Maintenance(
                id=ident,
                title=plain(work.get("name"), 300),
                components=_names(work.get("components")),
                starts=when(work.get("start")),
                ends=when(work.get("end")),
                in_progress=status not in ("notstartedyet", "scheduled") and status not in CLOSED,
            )
        )
    return reading


INSTATUS = Format("instatus", _main, parse)
