"""Bluesky posts, live, through Jetstream's v1 `/subscribe` (JSON over a WebSocket).

Only `app.bsky.feed.post` commits are asked for; identity and account events (always sent)
and kinds this client does not know are passed over. A create offers the post's text to the
posts path (`post_feed`), a delete takes back a post not yet published. Posts are placed in
time by the event's `time_us`, which the server sets, never by the client-set `createdAt`.

Resuming: the durable cursor is a `time_us`; a reconnect, or a restart of Rasd, subscribes
from a few seconds before it (the instances' clocks differ "roughly"), and the keys kept
with the cursor (DID + rkey) drop what is read twice. The instances in `jetstream_urls` are
tried in turn, with jittered backoff after each failure.

The socket is read by a task of its own into a bounded queue, so a slow posts path never
stops the reading; when the queue is full the client lets the connection go and, once the
queue is empty, subscribes again from its cursor (Jetstream replays ~36 h), rather than fall
so far behind that the server cuts it off.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec
import websockets
from websockets.asyncio.client import ClientConnection, connect

from rasd.probe.agent import tls_context
from rasd.probe.reach import is_network_away
from rasd.sources.backoff import Backoff
from rasd.sources.base import SourceStatus
from rasd.sources.post_feed import PostFeed, SampleSink, lang_tag, post_key

if TYPE_CHECKING:
    from rasd.runtime import Runtime
    from rasd.signals.text.analysis import Analyser

NAME = "bluesky"
COLLECTION = "app.bsky.feed.post"
_PROCESS_SLICE = 256  # frames handled before the event loop is given back


class _Record(msgspec.Struct):
    text: str = ""
    langs: list[str] | None = None


class _Commit(msgspec.Struct):
    operation: str = ""
    collection: str = ""
    rkey: str = ""
    record: _Record | None = None


class _Event(msgspec.Struct):
    did: str = ""
    time_us: int = 0
    kind: str = ""
    commit: _Commit | None = None


_decode_event = msgspec.json.Decoder(_Event).decode


class _Behind(Exception):
    """The queue is full: the connection is let go and taken up again from the cursor."""


def post_link(did: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{did}/post/{rkey}"


class JetstreamSource:
    kind = "posts"

    def __init__(
        self,
        runtime: Runtime,
        urls: list[str],
        *,
        name: str = NAME,
        rewind_seconds: float = 5.0,
        queue_max: int = 10_000,
        zstd_dictionary: bytes | None = None,
        max_message_bytes: int = 1 << 20,
        analyser: Analyser | None = None,
        sample: SampleSink | None = None,
        hold_seconds: float = 1.0,
        backoff: Backoff | None = None,
        open_timeout: float = 10.0,
    ) -> None:
        if not urls:
            raise ValueError("Jetstream needs at least one URL")
        self.name = name
        self._runtime = runtime
        self.urls = list(urls)
        self.rewind_us = int(rewind_seconds * 1_000_000)
        self._status = SourceStatus(name, self.kind, endpoint=self.urls[0], clock=runtime.clock)
        self.feed = PostFeed(
            runtime,
            self._status,
            cursor_name=name,
            analyser=analyser,
            sample=sample,
            hold_seconds=hold_seconds,
            keep_seconds=4 * rewind_seconds + 30.0,
        )
        self._queue: asyncio.Queue[str | bytes] = asyncio.Queue(maxsize=queue_max)
        self._backoff = backoff or Backoff(base=1.0, cap=60.0)
        self._open_timeout = open_timeout
        self._max_message_bytes = max_message_bytes
        self._unzip: Any = None
        self._zstd: Any = None
        if zstd_dictionary:
            import zstandard

            self._zstd = zstandard
            self._unzip = zstandard.ZstdDecompressor(
                dict_data=zstandard.ZstdCompressionDict(zstd_dictionary)
            )
        self.counts = {
            "frames": 0,
            "creates": 0,
            "deletes": 0,
            "ignored": 0,
            "malformed": 0,
            "overflows": 0,
        }
        self._last_time_us = 0

    def status(self) -> SourceStatus:
        return self._status

    # -- the connection --------------------------------------------------------------------
    def subscribe_url(self, url: str, cursor: int | None) -> str:
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("cursor", "compress")]
        if ("wantedCollections", COLLECTION) not in query:
            query.append(("wantedCollections", COLLECTION))
        if cursor is not None:
            query.append(("cursor", str(max(0, cursor))))
        if self._unzip is not None:
            query.append(("compress", "true"))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def _resume_from(self, rewind: bool = True) -> int | None:
        # posts held in memory survive a reconnect: the place read so far is where to resume
        cursor = self._last_time_us
        if cursor <= 0:
            return None
        return cursor - self.rewind_us if rewind else cursor

    async def run(self, stop: asyncio.Event) -> None:
        reach = self._runtime.reach
        urls = [url for url in self.urls if reach.allows(url)]
        if not urls:
            self._status.offline("offline: Jetstream instances are not on loopback addresses")
            await stop.wait()
            return
        restored = self.feed.restore()
        if isinstance(restored, int):
            self._last_time_us = restored
        worker = asyncio.create_task(self._work(stop), name=f"{self.name}:posts")
        turn = 0
        outcome = ""
        try:
            while not stop.is_set():
                url = urls[turn % len(urls)]
                outcome = await self._session(url, stop, rewind=outcome != "behind")
                if stop.is_set():
                    break
                self._status.reconnected()
                if outcome == "behind":
                    await _until(self._queue.join(), stop)  # caught up: take it up again
                    continue
                if outcome == "failed":
                    turn += 1
                if not await self._backoff.wait(stop):
                    break
        finally:
            await _until(self._queue.join(), stop, timeout=5.0)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await self.feed.flush(everything=True)

    async def _session(self, url: str, stop: asyncio.Event, *, rewind: bool) -> str:
        """One connection: 'behind', 'closed' (after reading) or 'failed'. Back on the same
        instance after falling behind, it resumes where it was, without the rewind (which
        would read again more than the queue holds)."""
        self._status.connecting(url)
        target = self.subscribe_url(url, self._resume_from(rewind))
        before = self.counts["frames"]
        try:
            async with connect(
                target,
                ssl=_tls(target),
                open_timeout=self._open_timeout,
                max_size=self._max_message_bytes,
                close_timeout=2.0,
                user_agent_header="rasd (outage detector)",
            ) as ws:
                self._status.connected(url)
                reading = asyncio.create_task(self._read(ws))
                stopping = asyncio.create_task(stop.wait())
                try:
                    done, _ = await asyncio.wait(
                        {reading, stopping}, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    stopping.cancel()
                    if not reading.done():
                        reading.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await reading
                if reading in done and not reading.cancelled():
                    exc = reading.exception()
                    if isinstance(exc, _Behind):
                        return "behind"
                    if exc is not None:
                        raise exc
            return "closed"
        except websockets.ConnectionClosed as exc:
            self._status.noted(f"{url}: connection closed ({exc})")
            return "closed"
        except Exception as exc:
            if is_network_away(exc):
                self._status.offline(f"{url}: {type(exc).__name__}: {exc}")
            else:
                self._status.failed(f"{url}: {type(exc).__name__}: {exc}")
            return "closed" if self.counts["frames"] > before else "failed"

    async def _read(self, ws: ClientConnection) -> None:
        queue = self._queue
        first = True
        async for frame in ws:
            if first:  # the instance answers: the next failure starts the backoff over
                self._backoff.reset()
                first = False
            self.counts["frames"] += 1
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:
                self.counts["overflows"] += 1
                self._status.note(overflows=self.counts["overflows"])
                raise _Behind from None

    # -- the posts path ----------------------------------------------------------------------
    async def _work(self, stop: asyncio.Event) -> None:
        queue = self._queue
        feed = self.feed
        while True:
            try:
                frame = await asyncio.wait_for(queue.get(), timeout=0.25)
            except TimeoutError:
                await self._settle()
                continue
            handled = 1
            self.handle(frame)
            queue.task_done()
            while handled < _PROCESS_SLICE and not queue.empty():
                self.handle(queue.get_nowait())
                queue.task_done()
                handled += 1
            if feed.due() or queue.empty():
                await self._settle()
            else:
                await asyncio.sleep(0)

    async def _settle(self) -> None:
        await self.feed.flush()
        if self._last_time_us:
            lag = self._runtime.clock.seconds() - self._last_time_us / 1e6
            self._status.lag(lag)
        self._status.note(
            **self.counts, held=self.feed.held, queued=self._queue.qsize(), **self.feed.stats
        )

    def handle(self, frame: str | bytes) -> None:
        """One message of the stream, fully taken in (none of it waits on the network)."""
        if isinstance(frame, bytes) and self._unzip is not None:
            cap = self._max_message_bytes
            try:
                # the cap holds only for frames that do not say their size: check theirs first
                size = self._zstd.frame_content_size(frame)
                if size > cap:
                    self._malformed(f"zstd: a message of {size} bytes (more than {cap})")
                    return
                frame = self._unzip.decompress(frame, max_output_size=cap)
            except self._zstd.ZstdError as exc:
                self._malformed(f"zstd: {exc}")
                return
        try:
            event = _decode_event(frame)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._malformed(str(exc))
            return
        commit = event.commit
        if event.kind != "commit" or commit is None or commit.collection != COLLECTION:
            self.counts["ignored"] += 1
            self._advance(event.time_us)
            return
        if not event.did or not commit.rkey or event.time_us <= 0:
            self._malformed("a commit without did, rkey or time_us")
            return
        key = post_key("bsky", f"{event.did}/{commit.rkey}")
        if not self._last_time_us:
            # started at the live tail: a resume must come back to just before this one
            self._advance(event.time_us - 1)
        if commit.operation == "create" and commit.record is not None:
            self.counts["creates"] += 1
            record = commit.record
            lang = lang_tag(record.langs[0]) if record.langs else None
            self.feed.offer(
                key,
                record.text,
                datetime.fromtimestamp(event.time_us / 1_000_000, UTC),
                author=event.did,
                position=event.time_us / 1_000_000,
                lang=lang,
                link=post_link(event.did, commit.rkey),
            )
        elif commit.operation == "delete":
            self.counts["deletes"] += 1
            self.feed.withdraw(key)
        else:
            self.counts["ignored"] += 1
        self._advance(event.time_us)

    def _advance(self, time_us: int) -> None:
        if time_us > self._last_time_us:
            self._last_time_us = time_us
            self.feed.moved(time_us)

    def _malformed(self, why: str) -> None:
        self.counts["malformed"] += 1
        self._status.noted(f"malformed message skipped: {why[:200]}")


async def _until(waiting: Any, stop: asyncio.Event, timeout: float | None = None) -> None:
    """Wait for `waiting` unless `stop` is set (or `timeout` passes) first."""
    task = asyncio.ensure_future(waiting)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for one in (task, stopping):
            one.cancel()
        await asyncio.gather(task, stopping, return_exceptions=True)


def build(runtime: Runtime) -> list[Any]:
    settings = runtime.settings
    if not settings.jetstream_enabled or not settings.jetstream_urls:
        return []
    dictionary: bytes | None = None
    if settings.jetstream_zstd_dictionary:
        with open(settings.jetstream_zstd_dictionary, "rb") as handle:
            dictionary = handle.read()
    from rasd.signals.sample import runtime_sample

    sample = runtime_sample(runtime)
    return [
        JetstreamSource(
            runtime,
            list(settings.jetstream_urls),
            rewind_seconds=settings.jetstream_rewind_seconds,
            queue_max=settings.jetstream_queue_max,
            zstd_dictionary=dictionary,
            sample=partial(sample.add, source=NAME),
        )
    ]


def _tls(url: str) -> ssl.SSLContext | None:
    """The shared client context for a secure URL (not made again at each reconnection)."""
    return tls_context(None) if url.startswith("wss:") else None
