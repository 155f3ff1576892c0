"""Google Cloud's and Google Workspace's `incidents.json`: every recent incident, open ones
without an `end`, each with its updates. `service_name` often reads "Multiple Products": the
products hit are in `affected_products`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from rasd.signals.status import (
    DEGRADED,
    MAJOR,
    PARTIAL,
    Format,
    Incident,
    ParseError,
    Reading,
    Update,
    plain,
    text_id,
    when,
)
from rasd.sources.status._json import decode, items

_IMPACT = {"SERVICE_INFORMATION": DEGRADED, "SERVICE_DISRUPTION": PARTIAL, "SERVICE_OUTAGE": MAJOR}
_SEVERITY = {"low": DEGRADED, "medium": PARTIAL, "high": MAJOR}


def _main(link: str, feed: str | None) -> str:
    return feed or urljoin(link, "incidents.json")


def _products(incident: dict[str, Any]) -> tuple[str, ...]:
    named = tuple(
        str(p["title"])
        for p in items(incident.get("affected_products"))
        if isinstance(p.get("title"), str)
    )
    service = incident.get("service_name")
    if not named and isinstance(service, str) and service != "Multiple Products":
        named = (service,)
    return named


def parse(body: bytes, link: str) -> Reading:
    doc = decode(body)
    if not isinstance(doc, list):
        raise ParseError("incidents: expected an array")
    # the whole page has no word of its own: no open incident means all is well
    reading = Reading(indicator=0)
    for incident in items(doc):
        ident = text_id(incident.get("id"))
        if not ident:
            continue
        impact = _IMPACT.get(str(incident.get("status_impact"))) or _SEVERITY.get(
            str(incident.get("severity")), DEGRADED
        )
        title = plain(incident.get("external_desc"), 300)
        products = _products(incident)
        uri = incident.get("uri")
        url = urljoin(link, uri) if isinstance(uri, str) and uri else None
        open_now = not incident.get("end")
        updates = items(incident.get("updates")) or items([incident.get("most_recent_update")])
        for u in updates:
            at = when(u.get("when")) or when(u.get("created"))
            if at is None:
                continue
            status = str(u.get("status") or "").lower()
            reading.updates.append(
                Update(
                    ident,
                    at.isoformat(),
                    status,
                    title,
                    plain(u.get("text")),
                    at,
                    impact,
                    url,
                    products,
                )
            )
        if open_now:
            reading.incidents.append(Incident(ident, title, impact, products, url))
    return reading


GOOGLE = Format("google", _main, parse)
