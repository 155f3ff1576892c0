"""HTTP/1.1 connections with deadlines for what the client owes: uvicorn's protocol (httptools)
waits for a request's head as long as the client likes, so a few thousand connections that
send a header byte now and then (slowloris) hold sockets and memory for ever. Here a request's
head must arrive whole within `head_seconds` of its first byte (or of the connection), and a
body that stops arriving for `body_idle_seconds` ends the connection; both close it without an
answer, as a proxy in front would."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from rasd.api.writes import GatheredWrites


class _Guarded(HttpToolsProtocol):
    head_seconds: float = 10.0
    body_idle_seconds: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # a deadline is a time to check against, and one timer per connection checks it when
        # it falls due: a timer made and cancelled twice a request cost more than the report
        # lane's own checks
        self._due: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._in_head = False

    def _arm(self, seconds: float) -> None:
        due = self.loop.time() + seconds
        self._due = due
        timer = self._timer
        if timer is not None and timer.when() <= due:
            return  # it fires first and finds the deadline moved on
        if timer is not None:
            timer.cancel()
        self._timer = self.loop.call_at(due, self._check)

    def _disarm(self) -> None:
        self._due = None

    def _check(self) -> None:
        self._timer = None
        due = self._due
        if due is None:
            return
        if self.loop.time() < due:
            self._timer = self.loop.call_at(due, self._check)
            return
        self._due = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # the protocol and its answers write through it; flow control keeps the transport
        self.transport = GatheredWrites(transport, self.loop)  # type: ignore[assignment]
        self._in_head = True
        self._arm(self.head_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # the next request on a kept-alive connection: its head gets the same deadline, which
        # later header bytes do not push back
        if not self._in_head:
            self._in_head = True
            self._arm(self.head_seconds)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()
        if self.parser.get_method() in (b"POST", b"PUT", b"PATCH"):
            self._arm(self.body_idle_seconds)

    def on_body(self, body: bytes) -> None:
        super().on_body(body)
        if self._due is not None:
            self._arm(self.body_idle_seconds)

    def on_message_complete(self) -> None:
        if not self._in_head:
            self._disarm()
        super().on_message_complete()


def guarded_protocol(head_seconds: float, body_idle_seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with these deadlines (pass it as `http=`)."""
    return type(
        "GuardedHttp",
        (_Guarded,),
        {"head_seconds": head_seconds, "body_idle_seconds": body_idle_seconds},
    )
