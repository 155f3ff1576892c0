"""A Mastodon server on 127.0.0.1: SSE streams and timelines as the real one serves them.

Streams answer `:)` first, then `event: <name>\\ndata: <payload>\\n\\n` for what is posted
while a client listens, and `:thump` between; a status is JSON, a delete its bare id. The
timelines answer `min_id` pages newest first, with the rate-limit headers, and a 429 when the
client has spent its allowance. Faults per stream connection: cut an event in half and drop
the connection, or end the stream after some events.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from sources.standin import HttpReply, HttpRequest, HttpStandIn

TOKEN = "user-token-read-statuses"


def status(
    number: int,
    html: str,
    *,
    tags: tuple[str, ...] = (),
    local: bool = True,
    language: str | None = "en",
    created: datetime | None = None,
) -> dict[str, Any]:
    host = "mastodon.example" if local else "far.example"
    created = created or datetime(2021, 10, 4, 11, 59, tzinfo=UTC)
    return {
        "id": str(108913983692647032 + number),
        "created_at": created.isoformat().replace("+00:00", ".000Z"),
        "in_reply_to_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": language,
        "uri": f"https://{host}/users/amal/statuses/{number}",
        "url": f"https://{host}/@amal/{number}",
        "content": html,
        "account": {"id": "1", "username": "amal", "acct": "amal"},
        "tags": [{"name": t, "url": f"https://{host}/tags/{t}"} for t in tags],
        "edited_at": None,
        "_local": local,
    }


class FakeMastodon:
    def __init__(self) -> None:
        self.timeline: list[dict[str, Any]] = []
        self.events: list[tuple[str, str, dict[str, Any] | None]] = []
        self.faults: dict[int, tuple[str, int]] = {}
        self.stream_connections = 0
        self.heartbeat_seconds = 0.1
        self.rate_limit = 300
        self.remaining = 300
        self.reset_seconds = 0.3
        self.refuse_next = 0  # answers 429 to this many timeline requests
        self.streams_at: str | None = None  # another server the streams are redirected to
        self.standin = HttpStandIn(self._serve)
        self._more = asyncio.Condition()

    @property
    def url(self) -> str:
        return self.standin.url

    def _past(self, index: int) -> bool:
        return index < len(self.events)

    def timeline_requests(self) -> list[HttpRequest]:
        return [r for r in self.standin.requests if r.path.startswith("/api/v1/timelines/")]

    async def post(self, *statuses: dict[str, Any], live: bool = True) -> None:
        """Statuses posted on the server: in the timelines, and on the streams if `live`."""
        async with self._more:
            for one in statuses:
                self.timeline.append(one)
                if live:
                    self.events.append(("update", orjson.dumps(_public(one)).decode(), one))
            self._more.notify_all()

    async def event(self, name: str, data: str, about: dict[str, Any] | None = None) -> None:
        async with self._more:
            if name == "delete":
                self.timeline = [s for s in self.timeline if s["id"] != data]
            self.events.append((name, data, about))
            self._more.notify_all()

    async def _serve(self, request: HttpRequest, reply: HttpReply) -> None:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            body = b'{"error":"This method requires an authenticated user"}'
            await reply.whole(401, body)
            return
        if request.path.startswith("/api/v1/streaming/") and self.streams_at:
            query = "&".join(f"{k}={v}" for k, v in request.query.items())
            where = f"{self.streams_at}{request.path}" + (f"?{query}" if query else "")
            await reply.whole(302, b"", {"Location": where})
        elif request.path.startswith("/api/v1/streaming/"):
            await self._stream(request, reply)
        elif request.path.startswith("/api/v1/timelines/"):
            await self._page(request, reply)
        else:
            await reply.whole(404, b'{"error":"Record not found"}')

    async def _stream(self, request: HttpRequest, reply: HttpReply) -> None:
        self.stream_connections += 1
        fault = self.faults.get(self.stream_connections)
        index = len(self.events)
        await reply.start_stream()
        await reply.chunk(b":)\n")
        sent = 0
        while True:
            async with self._more:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._more.wait_for(functools.partial(self._past, index)),
                        self.heartbeat_seconds,
                    )
                batch = self.events[index:]
            if not batch:
                await reply.chunk(b":thump\n")
                continue
            for name, data, about in batch:
                index += 1
                if about is not None and not _on(request, about):
                    continue
                wire = f"event: {name}\ndata: {data}\n\n".encode()
                if fault is not None and sent >= fault[1]:
                    if fault[0] == "cut":
                        reply.cut(wire[: len(wire) // 2])
                    return
                await reply.chunk(wire)
                sent += 1

    async def _page(self, request: HttpRequest, reply: HttpReply) -> None:
        reset = datetime.now(UTC) + timedelta(seconds=self.reset_seconds)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Reset": reset.isoformat(),
        }
        if self.refuse_next > 0 or self.remaining <= 0:
            if self.refuse_next > 0:
                self.refuse_next -= 1
            else:
                self.remaining = self.rate_limit  # the window starts again
            headers["X-RateLimit-Remaining"] = "0"
            await reply.whole(429, b'{"error":"Too many requests"}', headers)
            return
        self.remaining -= 1
        headers["X-RateLimit-Remaining"] = str(self.remaining)
        after = int(request.query.get("min_id", "0"))
        limit = min(int(request.query.get("limit", "20")), 40)
        chosen = [s for s in self.timeline if int(s["id"]) > after and _on(request, s)]
        chosen.sort(key=lambda s: int(s["id"]))
        page = [_public(s) for s in reversed(chosen[:limit])]  # newest first, as Mastodon
        await reply.whole(200, orjson.dumps(page), headers)


def _public(one: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in one.items() if not k.startswith("_")}


def _on(request: HttpRequest, one: dict[str, Any]) -> bool:
    """Whether a status belongs to the stream or timeline asked for."""
    path = request.path
    local = path.endswith("/local") or request.query.get("local") == "true"
    if local and not one["_local"]:
        return False
    if "/hashtag" in path or "/tag/" in path:
        tag = request.query.get("tag") or path.rsplit("/tag/", 1)[-1]
        return tag.lower() in {t["name"].lower() for t in one["tags"]}
    return True
