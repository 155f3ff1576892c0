"""The provider's word on the pages: its updates on the timeline (its own text as given, the
labels in the page's language), its last word with the time it was checked, and how long it
took to acknowledge what Rasd had seen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasd.correlate.admission import acknowledgement, grade
from rasd.runtime import Runtime
from rasd.signals.official import board_of
from rasd.store.rows import EventRow, EventState
from rasd.web.i18n import number, strings

_TIMELINE_MAX = 50


def duration(seconds: float, lang: str) -> str:
    t = strings(lang)
    seconds = abs(round(seconds))
    if seconds < 120:
        return t["unit_seconds"].format(n=number(seconds, lang))
    minutes = seconds // 60
    if minutes < 120:
        return t["unit_minutes"].format(n=number(minutes, lang))
    return t["unit_hours"].format(n=number(minutes // 60, lang), m=number(minutes % 60, lang))


def timeline(
    rt: Runtime,
    services: list[str],
    lang: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    t = strings(lang)
    updates = board_of(rt).updates(services=services, since=since, until=until, limit=_TIMELINE_MAX)
    out = []
    seen: set[tuple[str, str, str]] = set()
    for u in updates:
        # services sharing a page hear the same words: one entry for them all
        key = (u["page"], u["incident"], u["at"])
        if key in seen:
            continue
        seen.add(key)
        label = t.get(f"official_s_{u['status']}") or t["official_s_update"]
        words = u["text"] if u["text"] and u["text"] != u["title"] else ""
        text = f"{label}: {u['title']}" + (f" — {words}" if words else "")
        if u["approximate"]:
            text += f" {t['official_approximate']}"
        out.append(
            {
                "at": u["at"],
                "kind": "official",
                "source": "official",
                "status": u["status"],
                "text": text,
                "url": u["url"],
            }
        )
    return out


def panel(
    rt: Runtime, service_id: str, lang: str, level: int, event: EventRow | None
) -> dict[str, Any] | None:
    """The official word's line on a service page; None when the page is not read."""
    t = strings(lang)
    board = board_of(rt)
    now = rt.clock.now()
    lines: list[str] = []
    word = board.word(service_id)
    disagrees = False
    if word is not None and word.view.state is not None:
        age = duration((now - word.checked_at).total_seconds(), lang)
        state = word.view.state
        title = (
            ", ".join(w for w in word.view.maintenance if w != "maintenance")
            or t["official_s_in_progress"]
        )
        lines.append(t[f"official_state_{state}"].format(age=age, title=title))
        disagrees = level > 0 and state == "operational"
        if disagrees:
            lines.append(t["official_disagrees"])
    if event is not None and service_id in event.primary:
        ack = acknowledgement(board, event.data, now)
        if ack["lag_seconds"] is not None:
            key = "official_ack_after" if ack["lag_seconds"] >= 0 else "official_ack_before"
            line = t[key].format(lag=duration(ack["lag_seconds"], lang))
            if ack["approximate"]:
                line += f" {t['official_approximate']}"
            lines.append(line)
        elif ack["waiting_seconds"] is not None and event.state is not EventState.RESOLVED:
            lines.append(t["official_ack_none"].format(lag=duration(ack["waiting_seconds"], lang)))
    record = _record(rt, service_id, lang)
    if record is not None:
        lines.append(record)
    if not lines:
        return None
    return {"lines": lines, "disagrees": disagrees, "state": word.view.state if word else None}


def _record(rt: Runtime, service_id: str, lang: str) -> str | None:
    """The provider's record over 90 days, in one line: how late it speaks, how often never."""
    if service_id not in rt.catalog:
        return None
    owner = rt.catalog.get(service_id).owner
    graded = grade(board_of(rt), rt.catalog, owner, rt.clock.now())
    if not graded["events"]:
        return None
    t = strings(lang)
    name = rt.catalog.owner_name(owner, lang)
    never = number(round(100 * (graded["never_acknowledged_share"] or 0.0)), lang)
    events = number(graded["events"], lang)
    if graded["median_lag_seconds"] is None:
        return t["official_record_silent"].format(owner=name, events=events)
    lag = duration(graded["median_lag_seconds"], lang)
    return t["official_record"].format(owner=name, events=events, lag=lag, never=never)
