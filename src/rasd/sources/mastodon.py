"""Mastodon posts, live, through the streaming API (server-sent events), one source per instance.

Each configured instance is read with its user access token (since Mastodon 4.2 the public
streams need one with `read:statuses`, so this source is off until an operator lists an
instance). Its streams (`public`, `public:local`, `hashtag:TAG`, `hashtag:local:TAG`) are read
side by side; `update` and `status.update` offer a status to the posts path, `delete` takes
back one not yet published; the `:)` and `:thump` comments only keep the connection alive,
and a connection silent for longer than a few heartbeats is dropped.

A stream cannot resume, so after any gap (a reconnect, a restart of Rasd) the statuses newer
than the last one read are fetched from the timelines REST API with `min_id`, page by page,
within its rate limit (`X-RateLimit-Remaining` / `-Reset`). The stream is opened first, so
nothing falls between the two; the same status from both (or from two streams) counts once,
by its URI. Content is HTML: it is reduced to text, tags dropped, entities decoded.

Live statuses are placed at the minute they arrive (a federated post may carry the clock of
a far server); backfilled ones at their `created_at`, never later than now.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from functools import partial
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx
import msgspec
from httpx_sse import aconnect_sse

from rasd.probe.reach import is_network_away
from rasd.settings import MastodonInstance
from rasd.sources.backoff import Backoff
from rasd.sources.base import SourceStatus
from rasd.sources.manager import run_together
from rasd.sources.post_feed import PostFeed, SampleSink, lang_tag, post_key

if TYPE_CHECKING:
    from rasd.runtime import Runtime
    from rasd.signals.text.analysis import Analyser

PAGE = 40  # the most statuses a timeline page holds
_USER_AGENT = "rasd (outage detector)"


class _Status(msgspec.Struct):
    id: str = ""
    uri: str = ""
    url: str | None = None
    created_at: str = ""
    content: str = ""
    spoiler_text: str = ""
    language: str | None = None


_decode_status = msgspec.json.Decoder(_Status).decode
_decode_page = msgspec.json.Decoder(list[_Status]).decode


class _Text(HTMLParser):
    """Text of a status's HTML: tags dropped (their contents kept, bar script and style),
    entities decoded, paragraphs and line breaks as spaces."""

    _BREAKS = frozenset({"br", "p", "div", "li", "blockquote"})
    _SILENT = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._silent = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SILENT:
            self._silent += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SILENT:
            self._silent = max(0, self._silent - 1)
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._silent:
            self.parts.append(data)


def html_text(html: str) -> str:
    """Plain text of a fragment of HTML; nothing of its markup survives."""
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


class Stream:
    """One stream of an instance: where to read it live and where to backfill it."""

    def __init__(self, spec: str) -> None:
        kind, _, rest = spec.partition(":")
        local = False
        tag = ""
        if kind == "public":
            if rest not in ("", "local", "remote"):
                raise ValueError(f"unknown stream {spec!r}")
            local = rest == "local"
            self.remote = rest == "remote"
        elif kind == "hashtag":
            if rest.startswith("local:"):
                local, tag = True, rest[len("local:") :]
            else:
                tag = rest
            tag = tag.lstrip("#")
            if not tag:
                raise ValueError(f"a hashtag stream needs its tag: {spec!r}")
            self.remote = False
        else:
            raise ValueError(f"unknown stream {spec!r} (public, public:local, hashtag:TAG...)")
        self.spec = spec
        self.kind = kind
        self.local = local
        self.tag = tag

    def stream_path(self) -> tuple[str, dict[str, str]]:
        if self.kind == "public":
            suffix = "/local" if self.local else "/remote" if self.remote else ""
            return f"/api/v1/streaming/public{suffix}", {}
        return f"/api/v1/streaming/hashtag{'/local' if self.local else ''}", {"tag": self.tag}

    def timeline_path(self) -> tuple[str, dict[str, str]]:
        params: dict[str, str] = {"local": "true"} if self.local else {}
        if self.kind == "public":
            if self.remote:
                params["remote"] = "true"
            return "/api/v1/timelines/public", params
        return f"/api/v1/timelines/tag/{quote(self.tag, safe='')}", params


class _Gone(Exception):
    """The stream said nothing for longer than its heartbeats allow."""


class MastodonSource:
    kind = "posts"

    def __init__(
        self,
        runtime: Runtime,
        instance: MastodonInstance,
        *,
        backfill_pages: int = 10,
        rate_reserve: int = 10,
        silence_seconds: float = 60.0,
        analyser: Analyser | None = None,
        sample: SampleSink | None = None,
        hold_seconds: float = 1.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base = instance.url.rstrip("/")
        self.name = source_name(self.base)
        self._runtime = runtime
        self._token = instance.token
        self.streams = [Stream(spec) for spec in instance.streams]
        self._status = SourceStatus(self.name, self.kind, endpoint=self.base, clock=runtime.clock)
        self.feed = PostFeed(
            runtime,
            self._status,
            cursor_name=self.name,
            analyser=analyser,
            sample=sample,
            hold_seconds=hold_seconds,
            keep_seconds=3 * 24 * 3600.0,
            keep_max=20_000,
        )
        self.backfill_pages = backfill_pages
        self.rate_reserve = rate_reserve
        self.silence_seconds = silence_seconds
        self._backoff = (backoff_base, backoff_cap)
        self._transport = transport
        self.last_ids: dict[str, str] = {}
        self._by_id: dict[str, str] = {}  # status id -> key, for the posts still held
        self._connected: set[str] = set()
        self._streaming = self.base  # where the streams are read: the instance, or its redirect
        self._filling: dict[str, str] = {}  # stream -> newest id read while its gap is filled
        self.counts = {
            "updates": 0,
            "edits": 0,
            "deletes": 0,
            "backfilled": 0,
            "backfill_requests": 0,
            "rate_limited": 0,
            "malformed": 0,
        }

    def status(self) -> SourceStatus:
        return self._status

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", "User-Agent": _USER_AGENT}

    # -- running -------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        if not self._runtime.reach.allows(self.base):
            self._status.offline(f"offline: {self.base} is not on a loopback address")
            await stop.wait()
            return
        restored = self.feed.restore()
        if isinstance(restored, dict):
            self.last_ids = {str(k): str(v) for k, v in restored.items()}
        timeout = httpx.Timeout(30.0, read=self.silence_seconds)
        async with httpx.AsyncClient(
            base_url=self.base, timeout=timeout, transport=self._transport
        ) as client:
            tasks = [
                asyncio.create_task(self._keep(client, stream, stop), name=f"{self.name}:{s}")
                for s, stream in ((s.spec, s) for s in self.streams)
            ]
            tasks.append(asyncio.create_task(self._settle_every(stop)))
            try:
                await run_together(tasks)
            finally:
                await self.feed.flush(everything=True)

    async def _settle_every(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.25)
            await self.feed.flush()
            self._status.note(**self.counts, held=self.feed.held, **self.feed.stats)

    async def _keep(self, client: httpx.AsyncClient, stream: Stream, stop: asyncio.Event) -> None:
        """One stream, for as long as the source runs: connect, backfill, read; again."""
        backoff = Backoff(*self._backoff)
        while not stop.is_set():
            reading = asyncio.create_task(self._read(client, stream, backoff))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not reading.done():
                reading.cancel()
            try:
                await reading
            except asyncio.CancelledError:
                if stop.is_set():
                    return
                raise
            except _Gone as exc:
                self._connected.discard(stream.spec)
                self._status.noted(f"{stream.spec}: {exc}")
            except Exception as exc:
                self._connected.discard(stream.spec)
                if is_network_away(exc):
                    self._status.offline(f"{stream.spec}: {type(exc).__name__}: {exc}")
                else:
                    self._status.failed(f"{stream.spec}: {type(exc).__name__}: {exc}")
            if stop.is_set():
                return
            self._status.reconnected()
            if not await backoff.wait(stop):
                return

    async def _read(self, client: httpx.AsyncClient, stream: Stream, backoff: Backoff) -> None:
        path, params = stream.stream_path()
        self._status.connecting()
        async with aconnect_sse(
            client, "GET", self._streaming + path, params=params, headers=self._headers()
        ) as source:
            response = source.response
            moved = response.headers.get("location")
            if response.status_code in (301, 302, 307, 308) and moved:
                self._follow(moved, path)
                raise _Gone(f"the streaming API is at {self._streaming}")
            if response.status_code != 200:
                body = (await response.aread())[:300].decode("utf-8", "replace")
                raise httpx.HTTPStatusError(
                    f"HTTP {response.status_code} from {path}: {body}",
                    request=response.request,
                    response=response,
                )
            self._connected.add(stream.spec)
            self._status.connected(self.base)
            backoff.reset()
            # opened first, then the gap filled: a status posted meanwhile is in one or both
            filling = asyncio.create_task(self._backfill(client, stream))
            try:
                async for event in source.aiter_sse():
                    self._event(stream, event.event, event.data)
                    if filling.done():
                        filling.result()  # a failed backfill drops the stream: tried again
                raise _Gone("the stream ended")
            finally:
                if not filling.done():
                    filling.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await filling

    def _follow(self, location: str, path: str) -> None:
        """Many servers stream from another host (`streaming.` + theirs) and redirect there;
        followed by hand, since a client drops the token when a redirect changes host."""
        target = urlsplit(location)
        if target.scheme not in ("http", "https") or not target.netloc:
            raise ValueError(f"a redirect of the stream to {location!r}")
        base = f"{target.scheme}://{target.netloc}"
        prefix = target.path[: -len(path)] if target.path.endswith(path) else ""
        if not self._runtime.reach.allows(base):
            raise ValueError(f"the stream moved to {base}, which may not be reached offline")
        self._streaming = base + prefix.rstrip("/")

    # -- the gap -------------------------------------------------------------------------------
    async def _backfill(self, client: httpx.AsyncClient, stream: Stream) -> None:
        """Statuses newer than the last one read, oldest page first, within the rate limit."""
        since = self.last_ids.get(stream.spec)
        if since is None:
            return  # never read before: the live tail is where it starts
        # until the gap is filled the cursor stays before it, whatever the stream reads
        self._filling[stream.spec] = since
        try:
            await self._pages(client, stream, since)
        finally:
            newest = self._filling.pop(stream.spec, None)
        if newest is not None:
            self._advance(stream, newest)

    async def _pages(self, client: httpx.AsyncClient, stream: Stream, since: str) -> None:
        path, params = stream.timeline_path()
        for _ in range(self.backfill_pages):
            response = await client.get(
                path, params={**params, "min_id": since, "limit": str(PAGE)},
                headers=self._headers(),
            )  # fmt: skip
            self.counts["backfill_requests"] += 1
            if response.status_code == 429:
                self.counts["rate_limited"] += 1
                await _sleep_until(response.headers.get("X-RateLimit-Reset"))
                continue
            response.raise_for_status()
            try:
                page = _decode_page(response.content)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                self._malformed(f"timeline page: {exc}")
                return
            page.sort(key=lambda s: _id_number(s.id))
            for status in page:
                self.counts["backfilled"] += 1
                self._offer(stream, status, live=False)
            if len(page) < PAGE or not page:
                return
            since = page[-1].id
            remaining = _int(response.headers.get("X-RateLimit-Remaining"))
            if remaining is not None and remaining <= self.rate_reserve:
                # keep a reserve for the other streams and the operator's own use of the token
                self.counts["rate_limited"] += 1
                await _sleep_until(response.headers.get("X-RateLimit-Reset"))

    # -- events --------------------------------------------------------------------------------
    def _event(self, stream: Stream, name: str, data: str) -> None:
        if name in ("update", "status.update"):
            try:
                status = _decode_status(data)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                self._malformed(f"{name}: {exc}")
                return
            if name == "status.update":
                self.counts["edits"] += 1
                key = self._key(status)
                if key is not None and self.feed.withdraw(key):
                    self._by_id.pop(status.id, None)  # an edit of a held post replaces it
            else:
                self.counts["updates"] += 1
            self._offer(stream, status, live=True)
        elif name == "delete":
            self.counts["deletes"] += 1
            key = self._by_id.pop(data.strip(), None)
            if key is not None:
                self.feed.withdraw(key)

    def _key(self, status: _Status) -> str | None:
        uri = status.uri or status.url
        return post_key("masto", uri) if uri else None

    def _offer(self, stream: Stream, status: _Status, *, live: bool) -> None:
        key = self._key(status)
        if key is None or not status.id:
            self._malformed("a status without uri or id")
            return
        now = self._runtime.clock.now()
        created = _when(status.created_at)
        at = now if live or created is None else min(created, now)
        if created is not None:
            self._status.lag((now - created).total_seconds())
        text = html_text(status.content)
        if status.spoiler_text:
            text = f"{html_text(status.spoiler_text)} {text}".strip()
        if self.feed.offer(
            key,
            text,
            at,
            author=urlsplit(status.uri).netloc or self.name,
            position=at.timestamp(),
            lang=lang_tag(status.language),
            link=status.url or status.uri,
        ):
            self._by_id[status.id] = key
            if len(self._by_id) > 10_000:
                self._by_id.pop(next(iter(self._by_id)))
        self._advance(stream, status.id)

    def _advance(self, stream: Stream, status_id: str) -> None:
        spec = stream.spec
        filling = self._filling.get(spec)
        if filling is not None:
            if _id_number(status_id) > _id_number(filling):
                self._filling[spec] = status_id
            return
        last = self.last_ids.get(spec)
        if last is None or _id_number(status_id) > _id_number(last):
            self.last_ids[spec] = status_id
            self.feed.moved(dict(self.last_ids))

    def _malformed(self, why: str) -> None:
        self.counts["malformed"] += 1
        self._status.noted(f"malformed: {why[:200]}")


def source_name(url: str) -> str:
    base = url.rstrip("/")
    return f"mastodon:{urlsplit(base).netloc or base}"


def _id_number(value: str) -> int:
    # ids are numbers in strings (snowflakes): compared as numbers, "9" < "10"
    return int(value) if value.isdigit() else -1


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _when(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


async def _sleep_until(reset: str | None, longest: float = 300.0) -> None:
    """Until the rate limit's window starts again (the header is a time), at most `longest`."""
    when = _when(reset or "")
    delay = 5.0 if when is None else (when - datetime.now(UTC)).total_seconds()
    await asyncio.sleep(min(max(delay, 0.0), longest))


def build(runtime: Runtime) -> list[Any]:
    from rasd.signals.sample import runtime_sample

    settings = runtime.settings
    sample = runtime_sample(runtime)
    sources: list[Any] = []
    for instance in settings.mastodon_instances:
        name = source_name(instance.url)
        sources.append(
            MastodonSource(
                runtime,
                instance,
                backfill_pages=settings.mastodon_backfill_pages,
                sample=partial(sample.add, source=name),
            )
        )
    return sources
