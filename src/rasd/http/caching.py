"""ETag and Cache-Control on every successful GET, with 304 answers to If-None-Match.

A status page is read far more than it changes: a short max-age lets browsers and proxies
share one answer for a few seconds, and the ETag turns a repeated poll into an empty 304.
Streams (server-sent events) and responses that set their own ETag pass through untouched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_AGE = 5


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match header names this ETag (weak or strong, or `*`)."""
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


class CachingMiddleware:
    """Pure ASGI, so streaming responses are never buffered by a wrapper they did not ask for."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_age: int = DEFAULT_MAX_AGE,
        rules: Iterable[tuple[str, int]] = (),
    ) -> None:
        self.app = app
        self.max_age = max_age
        # (path prefix, max-age): the first prefix that matches wins
        self.rules = list(rules)

    def _max_age(self, path: str) -> int:
        for prefix, age in self.rules:
            if path.startswith(prefix):
                return age
        return self.max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if_none_match = Headers(scope=scope).get("if-none-match")
        max_age = self._max_age(scope["path"])
        start: Message | None = None
        chunks: list[bytes] = []
        passing = False

        async def wrapped(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                kind = headers.get("content-type", "")
                if message["status"] != 200 or kind.startswith("text/event-stream"):
                    passing = True
                    await send(message)
                    return
                if "etag" in headers:
                    # static files tag themselves and answer If-None-Match on their own
                    passing = True
                    mutable = MutableHeaders(scope=message)
                    mutable.setdefault("cache-control", f"public, max-age={max_age}")
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            await _finish(send, start, body, if_none_match, max_age)

        await self.app(scope, receive, wrapped)


async def _finish(
    send: Send, start: Message, body: bytes, if_none_match: str | None, max_age: int
) -> None:
    tag = etag_of(body)
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["etag"] = tag
    if "cache-control" not in headers:
        headers["cache-control"] = f"public, max-age={max_age}"
    if if_none_match is not None and matches(if_none_match, tag):
        kept = [
            (k, v)
            for k, v in headers.raw
            if k.lower() not in (b"content-length", b"content-type", b"content-encoding")
        ]
        await send({"type": "http.response.start", "status": 304, "headers": kept})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    headers["content-length"] = str(len(body))
    await send({"type": "http.response.start", "status": 200, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})
