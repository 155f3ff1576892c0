"""Connections that do not send what they owe are closed: a request head that never ends
(slowloris), a body that stops arriving. A client that is on time is answered as before."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn

from rasd.api.connections import guarded_protocol

# generous: nothing here measures time, the test only waits for the server to act
_GIVE_UP = 30.0


async def _app(scope: dict[str, object], receive: object, send: object) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()  # type: ignore[operator]
        more = message.get("more_body", False)
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]


@pytest.fixture
async def port() -> AsyncIterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = int(s.getsockname()[1])
    config = uvicorn.Config(
        _app,
        host="127.0.0.1",
        port=free,
        http=guarded_protocol(head_seconds=0.3, body_idle_seconds=0.3),
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield free
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """What the server sent before it closed the connection."""
    return await asyncio.wait_for(reader.read(), _GIVE_UP)


async def _dripped_until_closed(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bytes:
    """Start a request head and send a header byte every 50 ms until the server closes."""
    writer.write(b"POST /x HTTP/1.1\r\n")
    closed = asyncio.create_task(_closed_by_server(reader))
    while not closed.done():
        writer.write(b"X")
        await asyncio.sleep(0.05)
    return closed.result()


async def test_a_head_that_never_ends_is_closed_though_bytes_keep_coming(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    # a header byte now and then does not push the deadline back
    assert await _dripped_until_closed(reader, writer) == b""
    writer.close()
    await writer.wait_closed()


async def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert await _closed_by_server(reader) == b""
    writer.close()
    await writer.wait_closed()


async def test_a_body_that_stops_arriving_is_closed(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /x HTTP/1.1\r\nHost: a.example\r\nContent-Length: 100\r\n\r\n0123")
    assert await _closed_by_server(reader) == b""
    writer.close()
    await writer.wait_closed()


async def test_requests_on_time_are_answered_on_a_kept_connection(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = b"POST /x HTTP/1.1\r\nHost: a.example\r\nContent-Length: 2\r\n\r\nhi"
    for _ in range(2):
        writer.write(request)
        status = await asyncio.wait_for(reader.readline(), _GIVE_UP)
        assert status.startswith(b"HTTP/1.1 200")
        await asyncio.wait_for(reader.readuntil(b"ok"), _GIVE_UP)
    # the next head on the kept connection has its own deadline, pushed back by nothing
    assert await _dripped_until_closed(reader, writer) == b""
    writer.close()
    await writer.wait_closed()
