"""Stand-ins for outside feeds, on 127.0.0.1, that a test starts, stops and restarts.

A stand-in keeps its port across a restart, so a source that reconnects finds the "same"
feed again, as it would after the real one restarted.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from typing import Any, Self

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

    async def start(self) -> Self:
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


class HttpRequest:
    def __init__(self, method: str, target: str, headers: dict[str, str]) -> None:
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.headers = headers


class HttpReply:
    """What a handler writes: a whole answer, or a chunked stream (as SSE servers send)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer

    async def whole(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        self._head(status, {**head, **(headers or {})})
        self.writer.write(body)
        await self.writer.drain()

    def _head(self, status: int, headers: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    async def start_stream(self, content_type: str = "text/event-stream") -> None:
        self._head(200, {"Content-Type": content_type, "Transfer-Encoding": "chunked"})
        await self.writer.drain()

    async def chunk(self, data: bytes) -> None:
        self.writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        await self.writer.drain()

    def cut(self, data: bytes) -> None:
        """Part of a chunk on the wire, then the connection is gone."""
        self.writer.write(f"{len(data) * 2:x}\r\n".encode() + data)
        transport = self.writer.transport
        transport.abort()


HttpHandler = Callable[[HttpRequest, HttpReply], Awaitable[None]]


class HttpStandIn:
    """An HTTP/1.1 server on 127.0.0.1, one request per connection, running `handler`."""

    def __init__(self, handler: HttpHandler, port: int | None = None) -> None:
        self.handler = handler
        self.port = port or free_port()
        self.requests: list[HttpRequest] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            line = (await reader.readline()).decode("latin-1").strip()
            if not line:
                return
            method, target, _ = line.split(" ", 2)
            headers: dict[str, str] = {}
            while (raw := (await reader.readline()).decode("latin-1").strip()) != "":
                name, _, value = raw.partition(":")
                headers[name.strip().lower()] = value.strip()
            request = HttpRequest(method, target, headers)
            self.requests.append(request)
            await self.handler(request, HttpReply(writer))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # stopped: the connection goes with the server
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def start(self) -> Self:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def __aenter__(self) -> HttpStandIn:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()


class RisLiveStandIn(WebSocketStandIn):
    """RIS Live on 127.0.0.1, in its own message format (its public manual): it takes
    `ris_subscribe` messages (answering `ris_subscribe_ok` when asked to acknowledge), answers
    `ping` with `pong`, and sends what the test puts in `frames` to every open connection.
    A frame is a message (a dict, sent as JSON), raw text (sent as it is, malformed or cut
    short), or `CUT`: the start of a frame on the wire, and the connection dropped mid-frame.
    """

    CUT = object()

    def __init__(self, port: int | None = None) -> None:
        super().__init__(self._serve, port)
        self.subscriptions: list[dict[str, Any]] = []
        self.pings = 0
        self._open: set[ServerConnection] = set()

    async def _serve(self, connection: ServerConnection) -> None:
        self._open.add(connection)
        try:
            async for raw in connection:
                message = json.loads(raw)
                if message.get("type") == "ris_subscribe":
                    data = message["data"]
                    self.subscriptions.append(data)
                    if data.get("socketOptions", {}).get("acknowledge"):
                        ok = {"type": "ris_subscribe_ok", "data": {"subscription": data}}
                        await connection.send(json.dumps(ok))
                elif message.get("type") == "ping":
                    self.pings += 1
                    await connection.send('{"type":"pong","data":null}')
        finally:
            self._open.discard(connection)

    @property
    def clients(self) -> int:
        return len(self._open)

    async def send(self, *frames: object) -> None:
        for connection in list(self._open):
            for frame in frames:
                if frame is self.CUT:
                    # a text frame's header promising 256 bytes, 20 of them, then the line goes
                    transport = connection.transport
                    transport.write(b"\x81\x7e\x01\x00" + b'{"type":"ris_message')
                    transport.abort()
                    break
                await connection.send(frame if isinstance(frame, str) else json.dumps(frame))


def ris_update(
    timestamp: float,
    peer: str,
    *,
    announce: list[str] = (),  # type: ignore[assignment]
    withdraw: list[str] = (),  # type: ignore[assignment]
    host: str = "rrc21",
    origin: int = 32934,
) -> dict[str, Any]:
    """A `ris_message` UPDATE as RIS Live sends it: a withdrawal carries no path."""
    data: dict[str, Any] = {
        "timestamp": timestamp,
        "peer": peer,
        "peer_asn": "64512",
        "id": f"{peer}-{int(timestamp * 1000):x}",
        "host": host,
        "type": "UPDATE",
        "path": [64512, 3356, origin] if announce else [],
        "community": [],
        "announcements": [],
        "withdrawals": list(withdraw),
    }
    if announce:
        data["origin"] = "IGP"
        data["announcements"] = [{"next_hop": peer, "prefixes": list(announce)}]
    return {"type": "ris_message", "data": data}
