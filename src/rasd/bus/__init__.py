"""The log between ingest and counting: in process, or NATS JetStream for the cluster."""

from rasd.bus.base import Handler, Log
from rasd.bus.memory import InlineLog

__all__ = ["Handler", "InlineLog", "Log"]
