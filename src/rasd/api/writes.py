"""A connection's writes of one turn of the event loop sent to the socket together.

uvicorn writes an answer's head and its body apart, each a send to the socket; on loopback,
and behind a proxy on the same machine, each send also runs the receiver's side of TCP. Under
the crowd bench the two sends were a quarter of the event loop's samples. Gathered until the
loop's next turn (a head and its body are written in the same turn), they go out as one.
"""

from __future__ import annotations

import asyncio
from typing import Any


class GatheredWrites:
    """Stands for a transport: writes are gathered, everything else is the transport's."""

    __slots__ = ("_loop", "_pending", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._pending is None:
            self._pending = [data]
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(data)

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending and not self.transport.is_closing():
            self.transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()  # what was written before the close is still sent, as a transport does
        self.transport.close()

    def get_write_buffer_size(self) -> int:
        gathered = sum(len(part) for part in self._pending or ())
        return gathered + self.transport.get_write_buffer_size()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)
