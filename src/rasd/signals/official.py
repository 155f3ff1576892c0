"""The `official` signal: what each provider's own status page says about its service now,
and every incident update it has published, kept for the timeline.

The status-page source (`rasd.sources.status`) hands each reading here; detection asks for
each service's official evidence every minute and whether planned maintenance covers it; the
pages and the API read the updates and the last word with the time it was checked.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rasd.clock import Clock
from rasd.detect.decision import Level
from rasd.detect.fusion import SignalEvidence
from rasd.series import OFFICIAL
from rasd.signals.status import MAJOR, PARTIAL, SEVERITY_NAMES, Update, View
from rasd.store.base import Store
from rasd.store.official import OfficialUpdateRows

if TYPE_CHECKING:
    from rasd.runtime import Runtime

# a provider's word read as a detector's score (z of about 2.6, 4.9 and 9.5 on the squash)
_SCORES = (0.0, 0.3, 0.6, 0.85)


@dataclass(frozen=True, slots=True)
class Word:
    """A page's last word on one service."""

    service: str
    page: str
    kind: str
    view: View
    checked_at: datetime

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "page": self.page,
            "kind": self.kind,
            "state": self.view.state,
            "severity": self.view.severity,
            "maintenance": list(self.view.maintenance),
            "incidents": [
                {"id": i.id, "title": i.title, "impact": SEVERITY_NAMES[i.impact], "url": i.url}
                for i in self.view.incidents
            ],
            "checked_at": _iso(self.checked_at),
            "checked_seconds_ago": max(0, round((now - self.checked_at).total_seconds())),
        }


def update_id(page: str, update: Update) -> str:
    return hashlib.sha256(f"{page}|{update.key}".encode()).hexdigest()[:32]


class OfficialBoard:
    """Safe to use from the source's loop and from detection's thread at once."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.rows = OfficialUpdateRows(store)
        self.clock = clock
        self._lock = threading.Lock()
        self._words: dict[str, Word] = {}
        self._known: set[str] = set()

    # -- what the source hands in ---------------------------------------------------------
    def heard(self, service: str, page: str, kind: str, view: View, checked_at: datetime) -> None:
        with self._lock:
            self._words[service] = Word(service, page, kind, view, checked_at)

    def record(
        self,
        service: str,
        page: str,
        updates: Iterable[Update],
        components: Sequence[str] = (),
        *,
        approximate: bool = False,
    ) -> list[dict[str, Any]]:
        """Keep the updates not kept before (those naming the service's components, when it
        has some); the new ones, as the timeline shows them."""
        wanted = set(components)
        now_ms = int(self.clock.now().timestamp() * 1000)
        rows: dict[str, dict[str, Any]] = {}
        for u in updates:
            if wanted and u.components and not wanted & set(u.components):
                continue
            ident = update_id(f"{service}|{page}", u)
            if ident in self._known or ident in rows:
                continue
            rows[ident] = {
                "id": ident,
                "service": service,
                "page": page[:500],
                "incident_ref": u.incident[:200],
                "status": u.status[:32],
                "impact": u.impact,
                "maintenance": u.maintenance,
                "title": u.title,
                "body": u.body,
                "url": u.url,
                "at_ms": int(u.at.timestamp() * 1000),
                "seen_ms": now_ms,
                "approximate": approximate,
            }
        if not rows:
            return []
        fresh = self.rows.add_new(rows)
        with self._lock:
            self._known.update(rows)
            if len(self._known) > 200_000:
                self._known = set(rows)
        return [_public(row) for row in fresh]

    # -- what detection asks ----------------------------------------------------------------
    def word(self, service: str) -> Word | None:
        with self._lock:
            return self._words.get(service)

    def services(self) -> list[str]:
        with self._lock:
            return list(self._words)

    def evidence(self, service: str) -> SignalEvidence | None:
        word = self.word(service)
        if word is None or word.view.severity is None:
            return None
        severity = word.view.severity
        level = (
            Level.DETECTED
            if severity >= MAJOR
            else (Level.POSSIBLE if severity >= PARTIAL else Level.OK)
        )
        return SignalEvidence(
            signal=OFFICIAL,
            observed=float(severity),
            expected=0.0,
            score=_SCORES[severity],
            level=int(level),
        )

    def maintenance(self, service: str) -> tuple[str, ...]:
        """Titles of the planned work the page says covers the service now."""
        word = self.word(service)
        return () if word is None else word.view.maintenance

    # -- what the pages and the API read ------------------------------------------------------
    def updates(
        self,
        service: str | None = None,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        oldest_first: bool = False,
        services: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        if service is not None:
            services = [service] if services is None else [s for s in services if s == service]
        rows = self.rows.listing(
            services=services,
            since_ms=None if since is None else int(since.timestamp() * 1000),
            until_ms=None if until is None else int(until.timestamp() * 1000),
            limit=limit,
            oldest_first=oldest_first,
        )
        return [_public(row) for row in rows]

    def services_heard(self) -> list[str]:
        """Every service some provider said something about, by name."""
        return self.rows.services_heard()


def hear_statements(board: OfficialBoard, statements: Iterable[Any]) -> int:
    """A scenario's statements (rasd.sim.scenario.Statement) on the timeline, as a status
    page's updates would be: the provider's words, its time, where it was said."""
    kept = 0
    for s in statements:
        update = Update(
            incident=s.incident,
            update=s.at.isoformat(),
            status=s.status,
            title=s.title,
            body=s.text,
            at=s.at,
            url=s.url,
        )
        for service in s.services:
            kept += len(board.record(service, s.source, [update], approximate=s.approximate))
    return kept


def board_of(runtime: Runtime) -> OfficialBoard:
    """The process's board: the source writes it, detection reads it."""
    return runtime.official


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _public(row: Any) -> dict[str, Any]:
    impact = row["impact"]
    return {
        "id": row["id"],
        "service": row["service"],
        "page": row["page"],
        "incident": row["incident_ref"],
        "status": row["status"],
        "impact": None if impact is None else SEVERITY_NAMES[int(impact)],
        "maintenance": bool(row["maintenance"]),
        "title": row["title"],
        "text": row["body"],
        "url": row["url"],
        "at": _iso(datetime.fromtimestamp(row["at_ms"] / 1000, UTC)),
        "seen_at": _iso(datetime.fromtimestamp(row["seen_ms"] / 1000, UTC)),
        "approximate": bool(row["approximate"]),
    }
