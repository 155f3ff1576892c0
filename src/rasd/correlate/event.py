"""Events: what people call "the outage": one or more incidents with one cause."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from rasd.detect.decision import Level
from rasd.phrase import Arg, Phrase

# declared beside the stored row, as the store cannot import correlation; named here too
from rasd.store.rows import EventKind as EventKind
from rasd.store.rows import EventState as EventState

EventChangeKind = Literal["opened", "updated", "recovering", "resolved", "reopened", "merged"]


class CauseHintLike(Protocol):
    """A cause hint, as the probe side writes them: which services, what it says, whose
    trouble it is and its evidence in a few words (phrases, or words an engine checkpointed
    before events kept codes), and a JSON form."""

    @property
    def code(self) -> str: ...
    @property
    def services(self) -> Sequence[str]: ...
    @property
    def text(self) -> Arg: ...
    @property
    def at(self) -> Arg: ...
    @property
    def summary(self) -> Arg: ...

    def to_dict(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class LogEntry:
    at: datetime
    kind: str
    services: tuple[str, ...]
    text: Phrase  # `log.<kind>`; an entry checkpointed before codes holds {"en": ..., "ar": ...}

    def to_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "services": list(self.services),
            "text": _said(self.text),
        }


@dataclass(frozen=True, slots=True)
class Event:
    """A snapshot; the correlator hands out a new one at each change."""

    id: str
    kind: EventKind
    title: Phrase  # `title.outage`, `title.regional` or `title.network`
    state: EventState
    level: Level
    start: datetime
    end: datetime | None
    primary: tuple[str, ...]  # services failing in this event, biggest first
    spillover: tuple[str, ...]  # services whose reports rose because of it
    incidents: Mapping[str, str]  # service -> incident id
    countries: tuple[str, ...]  # hardest hit first
    owner: str | None  # the owner every primary service shares, if any
    country: str | None  # the country of a regional event
    cause_hints: tuple[CauseHintLike, ...]  # every cause it was given, first seen first
    cause: Phrase | None  # its causes in one sentence (`causes`)
    log: tuple[LogEntry, ...]
    merged_into: str | None
    updated_at: datetime
    # the network a regional event's rise comes from: {"asn", "name", "country", "title"}
    network: Mapping[str, object] | None = None

    @property
    def services(self) -> tuple[str, ...]:
        return self.primary + self.spillover

    def role_of(self, service: str) -> Literal["primary", "spillover"] | None:
        if service in self.primary:
            return "primary"
        if service in self.spillover:
            return "spillover"
        return None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "title": self.title.to_dict(),
            "state": str(self.state),
            "level": int(self.level),
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end is not None else None,
            "primary": list(self.primary),
            "spillover": list(self.spillover),
            "incidents": dict(self.incidents),
            "countries": list(self.countries),
            "owner": self.owner,
            "country": self.country,
            "cause_hints": [dict(h.to_dict()) for h in self.cause_hints],
            "cause": self.cause.to_dict() if self.cause is not None else None,
            "log": [entry.to_dict() for entry in self.log],
            "merged_into": self.merged_into,
            "updated_at": self.updated_at.isoformat(),
            "network": dict(self.network) if self.network is not None else None,
        }


@dataclass(frozen=True, slots=True)
class EventChange:
    kind: EventChangeKind
    event: Event

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "event": self.event.to_dict()}


def _said(value: object) -> object:
    if isinstance(value, Phrase):
        return value.to_dict()
    return dict(value) if isinstance(value, Mapping) else value
