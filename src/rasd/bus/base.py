"""The Log protocol: what ingest publishes to, and what counting consumes from."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

# (kind, payload, message id): kind is "reports", "posts" or "probes"
Handler = Callable[[str, Any, str], Awaitable[None]]


class Log(Protocol):
    async def publish(self, kind: str, payload: Any, msg_id: str) -> None:
        """Returns once the payload is durable; raises rasd.errors.Unavailable when it cannot be."""
        ...

    async def close(self) -> None: ...


_NEW = "new:"


class _Ids:
    """Random per process, then counted: unique across restarts and processes, and cheaper
    than a fresh random id for every single report."""

    def __init__(self) -> None:
        self.renew()

    def renew(self) -> None:
        self.prefix = f"{_NEW}{uuid.uuid4().hex[:16]}-"
        self.counter = itertools.count()


_IDS = _Ids()
# a forked child must not hand out its parent's ids
os.register_at_fork(after_in_child=_IDS.renew)


def new_message_id() -> str:
    """An id nobody used before: no store needs asking whether it was applied already."""
    return f"{_IDS.prefix}{next(_IDS.counter):x}"


def is_new_message_id(msg_id: str) -> bool:
    return msg_id.startswith(_NEW)
