"""RSS and Atom status feeds (AWS Health, Azure, pages with nothing else), through
feedparser, which cleans the HTML of titles and summaries. Feeds are history: each entry is
one thing said, and there is no overall word, so the indicator stays unknown. An entry whose
words say it is over (incident.io writes `<b>Status: Resolved</b>`) is taken as closing."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import feedparser

from rasd.signals.status import Format, ParseError, Reading, Update, plain

_RESOLVED = re.compile(r"\b(resolved|completed|operating normally|recovered)\b", re.I)


def _main(link: str, feed: str | None) -> str:
    return feed or link


def _time(entry: Any) -> datetime | None:
    for key in ("updated_parsed", "published_parsed"):
        # read as a plain dict: feedparser's own lookup maps one key to the other, warning
        value = dict.get(entry, key)
        if value:
            year, month, day, hour, minute, second = value[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None


def _text(entry: Any, key: str, limit: int) -> str:
    detail = dict.get(entry, f"{key}_detail") or {}
    value = dict.get(entry, key)
    if detail.get("type") == "text/plain" and isinstance(value, str):
        # plain text already: "<resolved>" there is words, not a tag
        return " ".join(value.split())[:limit]
    return plain(value, limit)


def parse(body: bytes, link: str) -> Reading:
    # bytes in a file object: a string would be taken for a URL or a path to open
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": link})
    if parsed.get("bozo") and not parsed.entries and not parsed.feed.get("title"):
        raise ParseError(f"not a feed: {parsed.get('bozo_exception')}")
    reading = Reading(indicator=None)
    for entry in parsed.entries:
        at = _time(entry)
        title = _text(entry, "title", 300)
        summary = _text(entry, "summary", 4000)
        ident = str(entry.get("id") or entry.get("link") or "")[:100]
        if at is None or not (ident or title):
            continue
        if not ident:
            ident = f"{title[:60]}@{at.isoformat()}"
        link_out = entry.get("link")
        status = "resolved" if _RESOLVED.search(f"{title}\n{summary}") else "update"
        reading.updates.append(
            Update(
                incident=ident,
                update=at.isoformat(),
                status=status,
                title=title,
                body=summary,
                at=at,
                url=link_out if isinstance(link_out, str) and link_out.startswith("http") else None,
            )
        )
    return reading


FEED = Format("feed", _main, parse, json=False)
