"""What people are saying: a small, retention-bound sample of complaint posts per service.

The live streams hand over each complaint (or question) they publish; the sample keeps its
text, language, time and link to the original, for `post_sample_hours` and at most
`post_sample_per_service` a service (the newest win), and nothing else of the post.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select

from rasd.clock import Clock
from rasd.signals.text.classifier import COMPLAINING, Label
from rasd.store import schema
from rasd.store.base import Store

if TYPE_CHECKING:
    from rasd.runtime import Runtime

MAX_LINK = 500


@dataclass(frozen=True)
class Heard:
    """A complaint (or question, or recovery) about services, as a sample may keep it."""

    key: str
    text: str
    lang: str | None
    at: datetime
    link: str | None
    services: dict[str, Label]


class PostSample:
    def __init__(
        self, store: Store, clock: Clock, *, hours: float = 24.0, per_service: int = 100
    ) -> None:
        self.store = store
        self.clock = clock
        self.hours = hours
        self.per_service = per_service

    def add(self, heard: Iterable[Heard], source: str) -> int:
        """Keeps the complaints among `heard`; returns how many rows it wrote."""
        rows: list[dict[str, Any]] = []
        for post in heard:
            link = post.link if _safe_link(post.link) else None
            for service, label in post.services.items():
                if label not in COMPLAINING:
                    continue
                rows.append(
                    {
                        "service": service,
                        "post_key": post.key,
                        "text": post.text,
                        "lang": post.lang,
                        "at_ms": int(post.at.timestamp() * 1000),
                        "link": link,
                        "label": label,
                        "source": source[:100],
                    }
                )
        if not rows:
            return 0
        services = sorted({row["service"] for row in rows})
        cutoff = int((self.clock.now() - timedelta(hours=self.hours)).timestamp() * 1000)
        self.store.write(lambda conn: self._write(conn, rows, services, cutoff))
        return len(rows)

    def _write(
        self, conn: Connection, rows: list[dict[str, Any]], services: list[str], cutoff: int
    ) -> None:
        table = schema.post_samples
        c = table.c
        keys = {(row["service"], row["post_key"]) for row in rows}
        present = {
            (r.service, r.post_key)
            for r in conn.execute(
                select(c.service, c.post_key).where(
                    c.service.in_(services), c.post_key.in_(sorted({k for _, k in keys}))
                )
            )
        }
        fresh = [row for row in rows if (row["service"], row["post_key"]) not in present]
        if fresh:
            conn.execute(table.insert(), fresh)
        conn.execute(delete(table).where(c.at_ms < cutoff))
        for service in services:
            # the newest `per_service` stay: everything older than the last of them goes
            floor = conn.execute(
                select(c.at_ms)
                .where(c.service == service)
                .order_by(c.at_ms.desc())
                .offset(self.per_service - 1)
                .limit(1)
            ).scalar()
            if floor is not None:
                conn.execute(delete(table).where(c.service == service, c.at_ms < floor))

    def prune(self) -> int:
        """Forgets posts older than the retention, whether or not new ones came; how many."""
        cutoff = int((self.clock.now() - timedelta(hours=self.hours)).timestamp() * 1000)
        table = schema.post_samples
        result = self.store.write(
            lambda conn: conn.execute(delete(table).where(table.c.at_ms < cutoff))
        )
        return int(result.rowcount or 0)

    def newest(self, service: str, limit: int = 10) -> list[dict[str, Any]]:
        """The newest complaints about `service` within the retention, newest first."""
        c = schema.post_samples.c
        cutoff = int((self.clock.now() - timedelta(hours=self.hours)).timestamp() * 1000)
        query = (
            select(schema.post_samples)
            .where(c.service == service, c.at_ms >= cutoff)
            .order_by(c.at_ms.desc(), c.post_key)
            .limit(limit)
        )
        rows = self.store.read(lambda conn: conn.execute(query).all())
        return [
            {
                "text": row.text,
                "lang": row.lang,
                "at": datetime.fromtimestamp(row.at_ms / 1000, UTC)
                .isoformat()
                .replace("+00:00", "Z"),
                "link": row.link,
                "label": row.label,
                "source": row.source,
            }
            for row in rows
        ]


def _safe_link(link: str | None) -> bool:
    """Only a web address is kept as a link: a feed may send any string as a post's url."""
    return (
        link is not None
        and len(link) <= MAX_LINK
        and link.lower().startswith(("https://", "http://"))
        and not any(ch.isspace() or ch in '"<>' for ch in link)
    )


def runtime_sample(runtime: Runtime) -> PostSample:
    """The process's one sample, on its store, with its settings."""
    return runtime.sample


_VIA = {"bluesky": "Bluesky", "mastodon": "Mastodon"}


def saying(runtime: Runtime, service_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """What people are saying: the newest complaint posts the live streams brought in, each
    with the name of the network it came from (`via`)."""
    out = []
    for post in runtime_sample(runtime).newest(service_id, limit):
        source = str(post["source"])
        out.append({**post, "via": _VIA.get(source.split(":", 1)[0], source)})
    return out
