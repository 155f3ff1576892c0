"""What a status page says, in one shape whatever its format.

States are ordered by how bad they are, so a page's word is the worst of its overall
indicator and the impact of each open incident: Statuspage's indicator can read "none"
while a minor incident is open.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

OPERATIONAL, DEGRADED, PARTIAL, MAJOR = 0, 1, 2, 3
SEVERITY_NAMES = ("operational", "degraded", "partial_outage", "major_outage")
MAINTENANCE = "maintenance"

# statuses of an incident that is over; anything else is open
CLOSED = frozenset({"resolved", "postmortem", "completed", "cancelled", "canceled", "closed"})
MAX_TEXT = 4000


class ParseError(ValueError):
    """The page answered with something that is not its format (HTML, broken JSON...)."""


@dataclass(frozen=True, slots=True)
class Update:
    """One thing the provider said about one incident (or maintenance), in its own words."""

    incident: str
    update: str
    status: str
    title: str
    body: str
    at: datetime
    impact: int | None = None
    url: str | None = None
    components: tuple[str, ...] = ()
    maintenance: bool = False

    @property
    def key(self) -> str:
        return f"{self.incident}/{self.update}"


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident the page shows as open now."""

    id: str
    title: str
    impact: int
    components: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Maintenance:
    """Planned work: in progress when the page says so, or when its window holds now."""

    id: str
    title: str
    components: tuple[str, ...] = ()
    starts: datetime | None = None
    ends: datetime | None = None
    in_progress: bool = False

    def active(self, now: datetime) -> bool:
        if self.in_progress:
            return self.ends is None or now < self.ends
        return (
            self.starts is not None
            and self.starts <= now
            and (self.ends is None or now < self.ends)
        )


@dataclass(slots=True)
class Reading:
    """One read of one page. `indicator` is None where the page gives no overall word a
    program can read (a feed, a plain page): what it says then lies in its updates."""

    indicator: int | None = None
    indicator_maintenance: bool = False
    components: dict[str, int | str] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)
    maintenances: list[Maintenance] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    answered: bool = True  # a plain page: whether it answered at all

    def view(self, components: tuple[str, ...], now: datetime) -> View:
        """What the page says about a service made of `components` (none: the whole page)."""
        wanted = set(components)
        if wanted:
            # the page-wide word is about other components too
            states = {name: s for name, s in self.components.items() if name in wanted}
            severity: int | None = None
        else:
            states = dict(self.components)
            severity = self.indicator
        for state in states.values():
            if isinstance(state, int):
                severity = max(severity or 0, state)
        if severity is None and states:
            severity = OPERATIONAL  # every one of them under maintenance
        incidents = [
            i
            for i in self.incidents
            if not wanted or not i.components or wanted & set(i.components)
        ]
        for incident in incidents:
            severity = max(severity or 0, incident.impact)
        maintenance = self._in_maintenance(wanted, states, now)
        return View(severity, maintenance, tuple(incidents))

    def _in_maintenance(
        self, wanted: set[str], states: dict[str, int | str], now: datetime
    ) -> tuple[str, ...]:
        """Titles of the planned work covering every component of the service."""
        mine = wanted or set(self.components)
        titles = []
        for work in self.maintenances:
            if not work.active(now):
                continue
            named = set(work.components)
            if not named or (mine and mine <= named):
                titles.append(work.title)
        if not titles and states and all(s == MAINTENANCE for s in states.values()):
            titles.append(MAINTENANCE)
        if not titles and not wanted and self.indicator_maintenance and not self.incidents:
            titles.append(MAINTENANCE)
        return tuple(titles)


@dataclass(frozen=True, slots=True)
class View:
    """A page's word on one service: the worst state (None: not known), planned work in
    progress over all of it, and the open incidents that name it."""

    severity: int | None
    maintenance: tuple[str, ...]
    incidents: tuple[Incident, ...]

    @property
    def state(self) -> str | None:
        if self.maintenance and not self.severity:
            return MAINTENANCE
        return None if self.severity is None else SEVERITY_NAMES[self.severity]


def worst(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br|/p|/li|/div)\b[^>]*>", re.I)
_SPACE = re.compile(r"[ \t\r\f\v]+")
_SCRIPT = re.compile(r"<\s*(script|style)\b.*?<\s*/\s*\1\s*>", re.I | re.S)


def plain(text: object, limit: int = MAX_TEXT) -> str:
    """A provider's words as plain text: no markup, no scripts, entities decoded."""
    if not isinstance(text, str):
        return ""
    text = _SCRIPT.sub(" ", text)
    text = _BREAK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)[:limit]


def when(value: object) -> datetime | None:
    """An ISO 8601 time (with Z or an offset) as UTC; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def text_id(value: object) -> str:
    return str(value)[:100] if isinstance(value, str | int) and str(value) else ""


@dataclass(frozen=True, slots=True)
class Format:
    """How one kind of page is read: the document polled every time, the history document
    read when an open incident leaves it (for the update that closed it), and their parsers.
    `link` is the page people read, the root of links to incidents."""

    kind: str
    main: Callable[[str, str | None], str]  # (link, feed) -> URL
    parse: Callable[[bytes, str], Reading]  # (body, link)
    history: Callable[[str], str | None] = lambda main: None
    parse_history: Callable[[bytes, str], list[Update]] | None = None
    json: bool = True
