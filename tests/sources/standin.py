"""Stand-ins for outside feeds, on 127.0.0.1, that a test starts, stops and restarts.

A stand-in keeps its port across a restart, so a source that reconnects finds the "same"
feed again, as it would after the real one restarted.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.asyncio.server import Server, ServerConnection, serve


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class WebSocketStandIn:
    """A WebSocket server on 127.0.0.1 running `handler` for each connection."""

    def __init__(
        self, handler: Callable[[ServerConnection], Awaitable[None]], port: int | None = None
    ) -> None:
        self.handler = handler
        self.port = port or free_port()
        self.connections = 0
        self.paths: list[str] = []
        self._server: Server | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def _handle(self, connection: ServerConnection) -> None:
        self.connections += 1
        if connection.request is not None:
            self.paths.append(connection.request.path)
        try:
            await self.handler(connection)
        except websockets.ConnectionClosed:
            pass

    async def start(self) -> WebSocketStandIn:
        self._server = await serve(self._handle, "127.0.0.1", self.port, max_size=None)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def __aenter__(self) -> WebSocketStandIn:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()


async def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Until `condition()` holds; fails the test after `timeout` seconds of waiting."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.02)
