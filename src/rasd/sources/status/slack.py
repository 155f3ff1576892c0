"""Slack's status API: `current` holds the status and the active incidents, each with the
notes written so far; `history` the past ones, read when an active one leaves `current`.
Times carry local offsets (-07:00)."""

from __future__ import annotations

import hashlib
from typing import Any

from rasd.signals.status import (
    CLOSED,
    DEGRADED,
    MAJOR,
    OPERATIONAL,
    PARTIAL,
    Format,
    Incident,
    Maintenance,
    ParseError,
    Reading,
    Update,
    plain,
    text_id,
    when,
)
from rasd.sources.status._json import decode, items, table

_TYPES = {"outage": MAJOR, "incident": PARTIAL, "notice": DEGRADED}
_SERVICE_STATUS = {"ok": OPERATIONAL, "active": PARTIAL, "broken": MAJOR}
_DEFAULT = "https://slack-status.com/api/v2.0.0/current"


def _main(link: str, feed: str | None) -> str:
    return feed or _DEFAULT


def _history(main: str) -> str | None:
    return main.removesuffix("current") + "history" if main.endswith("/current") else None


def _updates(item: dict[str, Any]) -> list[Update]:
    ident = text_id(item.get("id"))
    if not ident:
        return []
    title = plain(item.get("title"), 300)
    impact = _TYPES.get(str(item.get("type")), DEGRADED)
    url = item.get("url") if isinstance(item.get("url"), str) else None
    services = tuple(s for s in item.get("services") or [] if isinstance(s, str))
    status = str(item.get("status") or "")
    out = []
    for note in items(item.get("notes")):
        at = when(note.get("date_created"))
        if at is None:
            continue
        body = plain(note.get("body"))
        # notes have no id: their time and words are theirs alone
        digest = hashlib.sha256(f"{at.isoformat()}|{body}".encode()).hexdigest()[:16]
        out.append(
            Update(
                ident,
                digest,
                status,
                title,
                body,
                at,
                impact,
                url,
                services,
                maintenance=item.get("type") == "notice" and status == "scheduled",
            )
        )
    return out


def _reading(incidents: list[dict[str, Any]], indicator: int | None) -> Reading:
    reading = Reading(indicator=indicator)
    for item in incidents:
        reading.updates.extend(_updates(item))
        ident = text_id(item.get("id"))
        status = str(item.get("status") or "")
        if not ident or status in CLOSED:
            continue
        title = plain(item.get("title"), 300)
        services = tuple(s for s in item.get("services") or [] if isinstance(s, str))
        url = item.get("url") if isinstance(item.get("url"), str) else None
        if status == "scheduled":
            reading.maintenances.append(
                # announced, with no window a program can read: shown, never suppressing
                Maintenance(ident, title, services)
            )
            continue
        reading.incidents.append(
            Incident(ident, title, _TYPES.get(str(item.get("type")), DEGRADED), services, url)
        )
    return reading


def parse(body: bytes, link: str) -> Reading:
    doc = table(decode(body), "current")
    if "status" not in doc and "active_incidents" not in doc:
        raise ParseError("current: neither status nor active_incidents")
    indicator = _SERVICE_STATUS.get(str(doc.get("status")), OPERATIONAL)
    return _reading(items(doc.get("active_incidents")), indicator)


def parse_history(body: bytes, link: str) -> list[Update]:
    doc = decode(body)
    listed = doc if isinstance(doc, list) else items(table(doc, "history").get("incidents"))
    return _reading(items(listed), None).updates


SLACK = Format("slack", _main, parse, _history, parse_history)
