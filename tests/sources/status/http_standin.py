"""An HTTP server on 127.0.0.1 for status-page tests, written on bare asyncio streams so it
can misbehave the ways real servers do: 304 for a matching ETag, 5xx, answering late or not
at all, a body of tens of megabytes, a redirect to another host.

Each route is a `Reply`; the server keeps every request's path and headers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGES = Path(__file__).parent / "pages"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer begins
    huge: int = 0  # instead of body: this many bytes, streamed without Content-Length


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


class HttpStandIn:
    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.requests: list[Seen] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    async def start(self) -> HttpStandIn:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> HttpStandIn:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                self.requests.append(Seen(path, headers))
                await self._answer(path, headers, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # the server is stopping with this client still on
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(
        self, path: str, headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> None:
        reply = self.routes.get(path, Reply(b"not here", 404, "text/plain"))
        if reply.delay:
            await asyncio.sleep(reply.delay)
        out = [f"HTTP/1.1 {reply.status} X", f"Content-Type: {reply.content_type}"]
        out += [f"{k}: {v}" for k, v in reply.headers.items()]
        if reply.etag:
            out.append(f"ETag: {reply.etag}")
            if headers.get("if-none-match") == reply.etag:
                writer.write(
                    (
                        "\r\n".join(["HTTP/1.1 304 X", f"ETag: {reply.etag}", "Content-Length: 0"])
                        + "\r\n\r\n"
                    ).encode()
                )
                await writer.drain()
                return
        if reply.huge:
            out.append("Transfer-Encoding: chunked")
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode())
            chunk = b"[" * 65536
            sent = 0
            while sent < reply.huge:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                sent += len(chunk)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return
        out.append(f"Content-Length: {len(reply.body)}")
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + reply.body)
        await writer.drain()
