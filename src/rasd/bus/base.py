"""The Log protocol: what ingest publishes to, and what counting consumes from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

# (kind, payload, message id): kind is "reports", "posts" or "probes"
Handler = Callable[[str, Any, str], Awaitable[None]]


class Log(Protocol):
    async def publish(self, kind: str, payload: Any, msg_id: str) -> None:
        """Returns once the payload is durable; raises rasd.errors.Unavailable when it cannot be."""
        ...

    async def close(self) -> None: ...
