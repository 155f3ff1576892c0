"""Which incident changes are worth a message: one per change of what people were told.

Subscribers are told when a service starts failing, when it gets worse, and when it is back.
Everything else the detector notices (regions joining, a level easing, recovery starting) is on
the pages, not in people's pockets. A resolve is held back for a while before it is sent: when
the service fails again in that time the resolve is withdrawn and nothing is said, so a flapping
service makes one "down" and, once it has settled, one "back".

The policy keeps, per service, what was last told; it is small, and saved in the store so a
restart neither repeats nor forgets a message.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from rasd.incidents.model import IncidentState
from rasd.store.state import StateStore

_STATE_KEY = "notify.told"


class MessageKind(StrEnum):
    """What a message tells, kept as its delivery's kind: a change worth telling (the first
    four), an operator's statement, or the one message that asks a channel to confirm."""

    OPENED = "opened"
    ESCALATED = "escalated"
    REOPENED = "reopened"
    RESOLVED = "resolved"
    STATEMENT = "statement"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Alert:
    """A change worth telling; who hears it depends on each subscription's level."""

    kind: MessageKind  # opened, escalated, reopened or resolved
    service: str
    incident: dict[str, Any]
    level: int  # the level to tell now
    told_before: int  # the highest level told earlier in this incident (0: nothing yet)
    seq: int  # numbers the alerts of one service; with the incident id, a message's identity

    @property
    def incident_id(self) -> str:
        return str(self.incident["id"])

    def kind_for(self, min_level: int) -> MessageKind | None:
        """What a subscriber from `min_level` up hears of this, if anything."""
        if self.kind is MessageKind.RESOLVED:
            return self.kind if self.told_before >= min_level else None
        if self.level < min_level:
            return None
        worse = (MessageKind.ESCALATED, MessageKind.REOPENED)
        if self.kind in worse and self.told_before < min_level:
            return MessageKind.OPENED  # the first they hear of it
        return self.kind


@dataclass
class _Told:
    incident_id: str
    level: int
    open: bool
    seq: int


class AlertPolicy:
    def __init__(self, store: StateStore | None = None) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._told: dict[str, _Told] = {}
        if store is not None:
            raw = store.get_state(_STATE_KEY)
            if raw:
                self._told = {k: _Told(**v) for k, v in json.loads(raw).items()}

    def on_change(self, change: str, incident: dict[str, Any]) -> list[Alert]:
        with self._lock:
            alerts = self._decide(change, incident)
            if alerts and self._store is not None:
                saved = {k: asdict(v) for k, v in self._told.items()}
                self._store.put_state(_STATE_KEY, json.dumps(saved).encode())
            return alerts

    def _decide(self, change: str, incident: dict[str, Any]) -> list[Alert]:
        service = str(incident["service"])
        incident_id = str(incident["id"])
        level = int(incident.get("level", 1))
        told = self._told.get(service)
        if told is not None and told.incident_id != incident_id and not told.open:
            told = None  # a new incident: start afresh
        if incident.get("state") == IncidentState.RESOLVED:
            if told is None or told.incident_id != incident_id or not told.open:
                return []
            told.open = False
            told.seq += 1
            resolved = MessageKind.RESOLVED
            return [Alert(resolved, service, incident, told.level, told.level, told.seq)]
        if level < 1:
            return []
        if told is None or (told.incident_id != incident_id):
            seq = told.seq + 1 if told is not None else 1
            self._told[service] = _Told(incident_id, level, True, seq)
            return [Alert(MessageKind.OPENED, service, incident, level, 0, seq)]
        if not told.open:
            # failing again after a resolve: the notifier withdraws a resolve not yet sent
            told.open = True
            told.seq += 1
            before, told.level = told.level, max(told.level, level)
            reopened = MessageKind.REOPENED
            return [Alert(reopened, service, incident, told.level, before, told.seq)]
        if level > told.level:
            before, told.level = told.level, level
            told.seq += 1
            return [Alert(MessageKind.ESCALATED, service, incident, level, before, told.seq)]
        return []
