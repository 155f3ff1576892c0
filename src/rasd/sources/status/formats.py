"""Every format a catalog service's `status_kind` may name."""

from __future__ import annotations

from rasd.signals.status import Format
from rasd.sources.status.feed import FEED
from rasd.sources.status.google import GOOGLE
from rasd.sources.status.instatus import INSTATUS
from rasd.sources.status.plain import PLAIN
from rasd.sources.status.slack import SLACK
from rasd.sources.status.statuspage import INCIDENT_IO, STATUSPAGE

FORMATS: dict[str, Format] = {
    f.kind: f for f in (STATUSPAGE, INCIDENT_IO, INSTATUS, GOOGLE, SLACK, FEED, PLAIN)
}
