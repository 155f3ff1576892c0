"""The hot write, POST /api/v1/reports, answered without the framework around it.

When a service goes down, single reports arrive by the thousand each second, and routing,
dependency solving and the middleware stack cost many times what counting a report costs.
The lane answers the plain case itself: a well-formed report, no token, not written by a
browser page. It runs the same checks, limits and publishing as the route and answers with
the same body, headers and metrics. Everything else (every error, imports with a token,
writes from browsers, which the cross-site guard must see) goes on to the route with the body
the lane already read, so errors are made and rendered in one place only.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rasd.api.idempotency import message_id
from rasd.api.reports import SINGLE_BODY_LIMIT
from rasd.errors import RasdError
from rasd.http.body import address_of
from rasd.http.errors import internal, render
from rasd.http.guard import SECURITY_HEADERS
from rasd.ingest.reports import decode_one
from rasd.runtime import Runtime

PATH = "/api/v1/reports"
# requests that carry these are for the route: tokens, and the headers browsers send
_FOR_THE_ROUTE = frozenset((b"authorization", b"origin", b"sec-fetch-site", b"cookie"))
_HEADERS = [(b"content-type", b"application/json")] + [
    (name.encode(), value.encode()) for name, value in SECURITY_HEADERS
]


class ReportLane:
    def __init__(
        self,
        runtime: Runtime,
        route: ASGIApp,
        counted: collections.Counter[tuple[str, str]] | None = None,
    ) -> None:
        """`route` is the application that serves the same path the slow way; `counted`, the
        tally of write requests by route and status, if metrics are on."""
        self.runtime = runtime
        self.route = route
        self.counted = counted
        self._client_of: Callable[[str, str], str | None] | None = None

    def in_front(self, route: ASGIApp, client_of: Callable[[str, str], str | None]) -> ReportLane:
        """The lane placed before the middleware that names the client from the proxy headers,
        whose second pass over every request's headers the lane's own pass makes for it:
        `client_of(peer, header)` names the client as that middleware would, or None where it
        cannot say; `route` is the route behind that middleware."""
        lane = ReportLane(self.runtime, route, self.counted)
        lane._client_of = client_of
        return lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key: str | None = None
        forwarded: str | None = None
        several = False
        for name, value in scope["headers"]:
            if name in _FOR_THE_ROUTE:
                await self.route(scope, receive, send)
                return
            if name == b"idempotency-key":
                key = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                several = forwarded is not None
                if not several:  # the first, as the route
                    forwarded = value.decode("latin-1")
            elif name == b"content-length" and not _fits(value):
                await self.route(scope, receive, send)
                return
        peer = scope["client"][0] if scope.get("client") else ""
        if self._client_of is not None and forwarded is not None:
            named = None if several else self._client_of(peer, forwarded)
            if named is None:
                await self.route(scope, receive, send)
                return
            peer = named
        read = await _read(receive)
        if read is None:
            return  # the client went away before it finished sending
        body, more = read
        if more:
            await self.route(scope, _replay(body, more, receive), send)
            return
        rt = self.runtime
        client = address_of(peer, forwarded, rt.settings.trusted_proxies)
        try:
            item = decode_one(body)
            rows = [rt.validator.to_row(item, client_ip=client, trusted=False)]
            msg_id = message_id(key, "reports")
            rt.limiters.requests.take(client)
        except Exception:  # noqa: BLE001 - the route meets it again and answers for it
            await self.route(scope, _replay(body, False, receive), send)
            return
        try:
            await rt.log.publish("reports", rows, msg_id)
        except RasdError as exc:
            await self._send(render(exc), send)
            return
        except Exception as exc:  # noqa: BLE001 - answered in the one shape, and logged
            await self._send(internal(exc), send)
            return
        answer = orjson.dumps({"accepted": 1, "id": msg_id})
        await _answer(send, 202, answer, [])
        self._count(202)

    async def _send(self, response: Response, send: Send) -> None:
        own = (b"content-type", b"content-length")
        extra = [h for h in response.raw_headers if h[0] not in own]
        await _answer(send, response.status_code, bytes(response.body), extra)
        self._count(response.status_code)

    def _count(self, status: int) -> None:
        if self.counted is not None:
            self.counted[("reports", str(status))] += 1


def _fits(declared: bytes) -> bool:
    try:
        return int(declared) <= SINGLE_BODY_LIMIT
    except ValueError:
        return False  # the route says what is wrong with it


async def _read(receive: Receive) -> tuple[bytes, bool] | None:
    """The body, and whether more of it is still unread (it is longer than a report may be)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = bool(message.get("more_body", False))
        if not more or size > SINGLE_BODY_LIMIT:
            return b"".join(chunks), more


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A receive that gives the route the body read so far, then the rest as it comes."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed


async def _answer(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [*_HEADERS, (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
