"""The posts path of a live stream: filter by the catalog, hold briefly, publish, remember.

A stream hands over every post it reads. The catalog matcher looks at it first; a post that
names no service is forgotten there and then (most of a firehose). A post that names one and
says something the posts signals count (a complaint, a question, a recovery) is held for a
moment, so that a delete arriving right behind it takes it back, then published to the log,
the same way `POST /api/v1/posts/batch` publishes, where the posts counter counts it.

Exactly once, across restarts of the stream and of Rasd: each post has a key (Bluesky: DID +
rkey; Mastodon: the status URI). Keys published lately are remembered in memory (bounded) and
in the durable cursor state, beside the stream's own cursor; a batch about to be published is
written there first, under its message id, so after a crash its keys count as taken exactly
when the store says the batch was applied.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec

from rasd.errors import RasdError
from rasd.signals.posts import MAX_KEY, MAX_TEXT, Post
from rasd.signals.sample import Heard
from rasd.signals.text.analysis import Analyser
from rasd.signals.text.classifier import COMPLAINING
from rasd.sources.base import SourceStatus
from rasd.sources.cursors import Cursors

if TYPE_CHECKING:
    from rasd.runtime import Runtime

_COUNTED: frozenset[str] = frozenset(COMPLAINING) | {"recovery"}


def runtime_analyser(runtime: Runtime) -> Analyser:
    """One analyser over the runtime's catalog for every live source of the process."""

    def make() -> Analyser:
        from rasd.signals.text import AliasMatcher

        return Analyser(AliasMatcher.from_catalog(runtime.catalog))

    return runtime.analyser.get(make)


# Where complaint posts go to be shown as "what people are saying" (see rasd.signals.sample).
SampleSink = Callable[[list[Heard]], object]


class _Held:
    __slots__ = ("post", "heard", "position", "since", "mark")

    def __init__(self, post: Post, heard: Heard, position: float, since: float, mark: Any) -> None:
        self.post = post
        self.heard = heard
        self.position = position  # seconds into the stream, for how long its key is kept
        self.since = since  # when it was read, on this process's monotonic clock
        self.mark = mark  # the stream cursor before it was read


class RecentKeys:
    """Keys of posts published lately, with the stream position (seconds) each was read at;
    the oldest are forgotten past `capacity`."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[str, float] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str, position: float) -> None:
        self._keys[key] = position
        self._keys.move_to_end(key)
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)

    def since(self, position: float, most: int) -> list[tuple[str, float]]:
        """The latest keys read at `position` or after, at most `most` of them."""
        out: list[tuple[str, float]] = []
        for key in reversed(self._keys):
            at = self._keys[key]
            if at < position or len(out) >= most:
                break
            out.append((key, at))
        out.reverse()
        return out


def post_key(prefix: str, key: str) -> str:
    """A post id within the posts path's length limit, readable when it fits."""
    whole = f"{prefix}:{key}"
    if len(whole) <= MAX_KEY:
        return whole
    return f"{prefix}:h:{hashlib.blake2b(key.encode(), digest_size=20).hexdigest()}"


def lang_tag(value: object) -> str | None:
    """A language tag the posts path takes, or None (streams carry free-form values)."""
    if not isinstance(value, str) or not 2 <= len(value) <= 35:
        return None
    head, _, rest = value.partition("-")
    if not (head.isascii() and head.isalpha() and 2 <= len(head) <= 3):
        return None
    if rest and not all(p.isascii() and p.isalnum() and 1 <= len(p) <= 8 for p in rest.split("-")):
        return None
    return value


class PostFeed:
    """Between one stream and the log: what the stream reads goes in by `offer`."""

    def __init__(
        self,
        runtime: Runtime,
        status: SourceStatus,
        *,
        cursor_name: str,
        analyser: Analyser | None = None,
        hold_seconds: float = 1.0,
        batch_max: int = 500,
        keep_seconds: float = 30.0,
        keep_max: int = 50_000,
        sample: SampleSink | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runtime = runtime
        self._status = status
        self._cursors = Cursors(runtime.store)
        self._cursor_name = cursor_name
        self._labels = (analyser or runtime_analyser(runtime)).service_labels
        self.hold_seconds = hold_seconds
        self.batch_max = batch_max
        self.keep_seconds = keep_seconds
        self.keep_max = keep_max
        self._sample = sample
        self._monotonic = monotonic
        self.recent = RecentKeys()
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._inflight: list[_Held] | None = None
        self.stream_cursor: Any = None  # the stream's own place, as it last was made durable
        self._saved_at = 0.0
        self._dirty = False
        self.stats = {"duplicates": 0, "withdrawn": 0, "published": 0, "publish_failures": 0}

    # -- state ---------------------------------------------------------------------------
    def restore(self) -> Any:
        """The stream cursor last made durable (None: never); remembers the keys kept with it."""
        raw = self._cursors.get(self._cursor_name)
        if raw is None:
            return None
        try:
            state = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            self._status.noted("the stored cursor is not readable; starting from the live tail")
            return None
        for key, position in state.get("keys", []):
            self.recent.add(key, float(position))
        inflight = state.get("inflight")
        if inflight and self._runtime.store.applied_among([inflight["id"]]):
            for key, position in inflight["keys"]:
                self.recent.add(key, float(position))
        self.stream_cursor = state.get("cursor")
        return self.stream_cursor

    def _save(self, inflight: dict[str, Any] | None = None) -> None:
        cursor = self.durable_cursor()
        newest = max((p for _, p in self.recent.since(float("-inf"), 1)), default=0.0)
        keys = self.recent.since(newest - self.keep_seconds, self.keep_max)
        state = {"cursor": cursor, "keys": keys, "inflight": inflight}
        self._cursors.put(self._cursor_name, msgspec.json.encode(state))
        self._status.cursor(cursor)
        if inflight is None:
            self._saved_at, self._dirty = self._monotonic(), False

    # -- posts in --------------------------------------------------------------------------
    def offer(
        self,
        key: str,
        text: str,
        at: datetime,
        *,
        author: str,
        position: float,
        lang: str | None = None,
        link: str | None = None,
    ) -> bool:
        """One post read from the stream; True when it is held to be published."""
        self._status.seen(1)
        if not text:
            return False
        if key in self.recent or key in self._held:
            self.stats["duplicates"] += 1
            return False
        services = self._labels(text)
        if not services:
            return False
        self._status.matched(1)
        if not any(label in _COUNTED for label in services.values()):
            return False
        text = text[:MAX_TEXT]
        post = Post(id=key, text=text, created=at, author=author[:MAX_KEY] or "?", lang=lang)
        heard = Heard(key, text, lang, at, link, services)
        self._held[key] = _Held(post, heard, position, self._monotonic(), self.stream_cursor)
        return True

    def withdraw(self, key: str) -> bool:
        """A delete read from the stream: a post not yet published is taken back."""
        if self._held.pop(key, None) is None:
            return False
        self.stats["withdrawn"] += 1
        return True

    @property
    def held(self) -> int:
        return len(self._held)

    def held_posts(self) -> list[Post]:
        """The posts waiting to be published, oldest first."""
        return [h.post for h in self._held.values()]

    def due(self) -> bool:
        """Whether some held post has waited its moment (or too many are held)."""
        if len(self._held) >= self.batch_max:
            return True
        first = next(iter(self._held.values()), None)
        return first is not None and self._monotonic() - first.since >= self.hold_seconds

    def moved(self, cursor: Any) -> None:
        """The stream has read everything up to `cursor` (its own kind of place) into this feed."""
        self.stream_cursor = cursor
        self._dirty = True

    def durable_cursor(self) -> Any:
        """Where a restart may resume: before the oldest post still held, else where the
        stream is; a resume from there replays nothing that was not handled or remembered."""
        first = next(iter(self._held.values()), None)
        return self.stream_cursor if first is None else first.mark

    async def flush(self, *, everything: bool = False, save_every: float = 1.0) -> bool:
        """Publish the held posts that waited their moment (all of them with `everything`),
        then make the cursor durable now and then; False when the log refused (they stay
        held and the cursor stays before them)."""
        if self._inflight is not None and not await self._publish(self._inflight):
            return False
        now = self._monotonic()
        ready = [h for h in self._held.values() if everything or now - h.since >= self.hold_seconds]
        for start in range(0, len(ready), self.batch_max):
            if not await self._publish(ready[start : start + self.batch_max]):
                return False
        if self._dirty and (everything or now - self._saved_at >= save_every):
            self._save()
        return True

    async def _publish(self, chunk: list[_Held]) -> bool:
        """One batch under a message id made from its keys. A batch whose fate is unknown (the
        log refused, or the wait was cancelled: it may have been applied all the same) is
        sent again as it was, under the same id, before anything else, so it counts once."""
        keys = [(h.post.id, h.position) for h in chunk]
        digest = hashlib.blake2b(digest_size=16)
        for key, _ in keys:
            digest.update(key.encode())
            digest.update(b"\n")
        msg_id = f"{self._cursor_name}:{digest.hexdigest()}"
        # written ahead: after a crash the store tells whether this batch was applied
        self._save({"id": msg_id, "keys": keys})
        self._inflight = chunk
        try:
            await self._runtime.log.publish("posts", [h.post for h in chunk], msg_id)
        except RasdError as exc:
            self.stats["publish_failures"] += 1
            self._status.noted(f"publish: {exc.message}")
            return False
        self._inflight = None
        for key, position in keys:
            self.recent.add(key, position)
            self._held.pop(key, None)
        self._save()
        self.stats["published"] += len(chunk)
        if self._sample is not None:
            try:
                await asyncio.to_thread(self._sample, [h.heard for h in chunk])
            except Exception as exc:  # the sample is for show: counting goes on without it
                self._status.noted(f"sample: {type(exc).__name__}: {exc}")
        # told last, so that whoever sees a post counted also finds it in the sample
        self._status.counted(len(chunk))
        return True
