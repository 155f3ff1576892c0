"""A raw HTTP/1.1 stand-in on a loopback address and a port chosen by the test (80 and 443
too), whose answers a test scripts, including the hostile ones: silence, headers without end, a
body without end."""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field


@dataclass
class Behaviour:
    """What the stand-in answers; `hits` counts connections that sent a request."""

    answer: Callable[[bytes], bytes | None] = lambda request: response_of(200, b"hello")
    slow: float = 0.0
    endless_headers: bool = False
    endless_body: bool = False
    hits: int = 0
    requests: list[bytes] = field(default_factory=list)


def response_of(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@asynccontextmanager
async def stand_in(
    host: str, port: int, behaviour: Behaviour, tls: ssl.SSLContext | None
) -> AsyncIterator[None]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            behaviour.hits += 1
            behaviour.requests.append(request)
            if behaviour.slow:
                await asyncio.sleep(behaviour.slow)
            if behaviour.endless_headers:
                writer.write(b"HTTP/1.1 200 OK\r\n")
                for i in range(100_000):
                    writer.write(f"X-Filler-{i}: {'x' * 200}\r\n".encode())
                    await writer.drain()
            answer = behaviour.answer(request)
            if answer is not None:
                writer.write(answer)
            if behaviour.endless_body:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n")
                for _ in range(100_000):
                    writer.write(b"y" * 65536)
                    await writer.drain()
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port, ssl=tls)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


def free_loopback_address() -> str:
    """A loopback address of the test's own, with ports 80 and 443 free on it."""
    for _ in range(50):
        candidate = f"127.0.{random.randint(1, 250)}.{random.randint(2, 250)}"
        try:
            for port in (80, 443):
                with socket.socket() as probe:
                    probe.bind((candidate, port))
        except OSError:
            continue
        return candidate
    raise RuntimeError("no free loopback address")


@contextmanager
def serving_in_a_thread(
    host: str, port: int, tls: ssl.SSLContext | None = None
) -> Iterator[Behaviour]:
    """The stand-in on an event loop of its own, for tests whose own thread blocks."""
    behaviour = Behaviour()
    ready, done = threading.Event(), threading.Event()

    async def run() -> None:
        async with stand_in(host, port, behaviour, tls):
            ready.set()
            while not done.is_set():
                await asyncio.sleep(0.02)

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("the stand-in did not start")
    try:
        yield behaviour
    finally:
        done.set()
        thread.join(10)
