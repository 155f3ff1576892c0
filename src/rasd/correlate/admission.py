"""How late providers admit an outage: per event, the time from Rasd's detection to the
provider's first word (an update on its status page, or a statement its operator posted);
per provider, a grade over a rolling window (90 days): the median of those lags, the share
of Rasd's events it never acknowledged, and the share of its own incidents Rasd saw too.

Maintenance notices are not acknowledgements. A lag may be negative: a provider that spoke
before Rasd detected anything.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rasd.catalog import Catalog
from rasd.signals.official import OfficialBoard
from rasd.store.base import Store
from rasd.store.official import StatementRows
from rasd.store.rows import EventRow

WINDOW_DAYS = 90
# a word counts for an event when it comes from an hour before the event to an hour after it
_SLACK = timedelta(hours=1)
_MAX_WORDS = 5000


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat().replace("+00:00", "Z")


def first_word(
    board: OfficialBoard, services: Sequence[str], since: datetime, until: datetime
) -> dict[str, Any] | None:
    """The earliest acknowledgement of these services between `since` and `until`."""
    if not services:
        return None
    found: list[dict[str, Any]] = []
    for update in board.updates(
        services=services, since=since, until=until, oldest_first=True, limit=50
    ):
        if not update["maintenance"]:
            found.append({**update, "by": "status_page"})
            break
    row = StatementRows(board.store).earliest(
        services, int(since.timestamp() * 1000), int(until.timestamp() * 1000)
    )
    if row is not None:
        at = datetime.fromtimestamp(row["created_ms"] / 1000, UTC)
        found.append(
            {
                "service": row["service"],
                "at": _iso(at),
                "status": row["status"],
                "by": "statement",
                "approximate": False,
                "url": None,
            }  # fmt: skip
        )
    return min(found, key=lambda w: str(w["at"])) if found else None


def detected_at(store: Store, event: dict[str, Any]) -> datetime | None:
    """When Rasd detected the event: the first detection among its failing services."""
    times = []
    for service, incident_id in (event.get("incidents") or {}).items():
        if service not in (event.get("primary") or []):
            continue
        incident = store.get_incident(incident_id)
        when = None if incident is None else _time(incident.data.get("detected_at"))
        if when is not None:
            times.append(when)
    return min(times) if times else _time(event.get("start"))


def acknowledgement(board: OfficialBoard, event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The lag of one event: its detection, the provider's first word, the seconds between."""
    services = list(event.get("primary") or [])
    detected = detected_at(board.store, event)
    start = _time(event.get("start")) or detected or now
    end = _time(event.get("end")) or now
    word = first_word(board, services, start - _SLACK, end + _SLACK)
    said = _time(word["at"]) if word else None
    lag = (said - detected).total_seconds() if said and detected else None
    waiting = (now - detected).total_seconds() if detected and word is None else None
    return {
        "event": event.get("id"),
        "owner": event.get("owner"),
        "detected_at": _iso(detected),
        "acknowledged_at": _iso(said),
        "lag_seconds": None if lag is None else round(lag),
        "waiting_seconds": None if waiting is None else round(waiting),
        "approximate": bool(word and word.get("approximate")),
        "first_word": word,
    }


def grade(
    board: OfficialBoard,
    catalog: Catalog,
    owner: str,
    now: datetime,
    *,
    days: int = WINDOW_DAYS,
    events: Sequence[EventRow] | None = None,
) -> dict[str, Any]:
    """One provider's record over the last `days` days."""
    since = now - timedelta(days=days)
    since_ms = int(since.timestamp() * 1000)
    services = [s.id for s in catalog.by_owner(owner)]
    listed = events
    if listed is None:
        listed = board.store.list_events(since_ms=since_ms, limit=1000)
    mine = [e.data for e in listed if not e.is_merged and set(e.primary) & set(services)]
    lags: list[float] = []
    never = 0
    for event in mine:
        ack = acknowledgement(board, event, now)
        if ack["lag_seconds"] is None:
            never += 1
        else:
            lags.append(float(ack["lag_seconds"]))
    # the provider's own incidents: first word of each, and whether Rasd had one then
    firsts: dict[tuple[str, str], datetime] = {}
    for update in board.updates(services=services, since=since, limit=_MAX_WORDS):
        if update["maintenance"]:
            continue
        key = (update["service"], update["incident"])
        at = _time(update["at"])
        if at is not None and (key not in firsts or at < firsts[key]):
            firsts[key] = at
    incidents: dict[str, str] = {}
    by_incident: dict[str, list[datetime]] = {}
    for (service, ref), at in firsts.items():
        incidents.setdefault(ref, service)
        by_incident.setdefault(ref, []).append(at)
    seen = 0
    for ref, service in incidents.items():
        at = min(by_incident[ref])
        around = board.store.list_incidents(
            service=service,
            since_ms=int((at - _SLACK).timestamp() * 1000),
            until_ms=int((at + _SLACK).timestamp() * 1000),
            limit=1,
        )
        seen += 1 if around else 0
    return {
        "owner": owner,
        "name": catalog.owner_name(owner, "en"),
        "days": days,
        "events": len(mine),
        "acknowledged": len(lags),
        "median_lag_seconds": round(statistics.median(lags)) if lags else None,
        "never_acknowledged_share": round(never / len(mine), 4) if mine else None,
        "official_incidents": len(incidents),
        "seen_by_rasd_share": round(seen / len(incidents), 4) if incidents else None,
    }


def graded_owners(board: OfficialBoard, catalog: Catalog) -> list[str]:
    """Providers with a page a program can read, or any word heard from them."""
    owners = {s.owner for s in catalog if s.status_kind not in (None, "http")}
    heard = set(board.services_heard())
    owners |= {catalog.get(s).owner for s in heard if s in catalog}
    return sorted(owners)
