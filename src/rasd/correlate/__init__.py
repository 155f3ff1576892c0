"""Correlation: events, spill-over, regional outages, cause hints.

`EventCorrelator` groups the incidents of single services into events; `Event` is what it
hands out. Cause hints (`rasd.correlate.hints`) are attached to events with
`EventCorrelator.attach_hints`.
"""

from rasd.correlate.correlator import CorrelationConfig, EventCorrelator
from rasd.correlate.event import Event, EventChange, EventKind, EventState, LogEntry

__all__ = [
    "CorrelationConfig",
    "Event",
    "EventChange",
    "EventCorrelator",
    "EventKind",
    "EventState",
    "LogEntry",
]
