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

from rasd.clock import Clock
from rasd.signals.text.classifier import COMPLAINING, Label
from rasd.store.base import Store
from rasd.store.samples import SampleRows

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
        self.rows = SampleRows(store)
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
        self.rows.keep(rows, older_than_ms=self._cutoff_ms(), per_service=self.per_service)
        return len(rows)

    def prune(self) -> int:
        """Forgets posts older than the retention, whether or not new ones came; how many."""
        return self.rows.forget_older_than(self._cutoff_ms())

    def newest(self, service: str, limit: int = 10) -> list[dict[str, Any]]:
        """The newest complaints about `service` within the retention, newest first."""
        rows = self.rows.newest(service, since_ms=self._cutoff_ms(), limit=limit)
        return [
            {
                "text": row["text"],
                "lang": row["lang"],
                "at": datetime.fromtimestamp(row["at_ms"] / 1000, UTC)
                .isoformat()
                .replace("+00:00", "Z"),
                "link": row["link"],
                "label": row["label"],
                "source": row["source"],
            }
            for row in rows
        ]

    def _cutoff_ms(self) -> int:
        return int((self.clock.now() - timedelta(hours=self.hours)).timestamp() * 1000)


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
