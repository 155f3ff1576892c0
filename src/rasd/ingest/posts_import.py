"""Taking public posts in: an HTTP batch (all or nothing) or a JSON lines file (line by line).

Both read posts with `rasd.signals.posts` and keep to the same rules: a post's time must fall
in the window the server takes, and a post seen before (by id) is dropped, so a feed that
overlaps itself, or a file imported twice, counts each post once.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import httpx
import msgspec

from rasd.bus.base import Log
from rasd.errors import InvalidInput, MalformedBody, RasdError, Unavailable, field_error
from rasd.signals.posts import Post, PostParseError, parse_posts_jsonl

MAX_DETAILS = 50

_raw_list = msgspec.json.Decoder(list[msgspec.Raw])


class RecentIds:
    """The ids of the latest posts taken, at most `capacity` of them (the oldest go first).

    A post is claimed before it is published and released if publishing fails, so two
    requests carrying the same post at once count it once, and a failed one can be retried.
    """

    def __init__(self, capacity: int = 200_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, post_id: object) -> bool:
        return post_id in self._ids

    def claim(self, posts: Iterable[Post]) -> list[Post]:
        """The posts not seen before, now marked as seen."""
        fresh: list[Post] = []
        for post in posts:
            if post.id in self._ids:
                self._ids.move_to_end(post.id)
                continue
            self._ids[post.id] = None
            fresh.append(post)
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return fresh

    def release(self, posts: Iterable[Post]) -> None:
        for post in posts:
            self._ids.pop(post.id, None)


@dataclass(frozen=True)
class TimeWindow:
    """When a post may have been written: not before `now - max_age` (None: any time), not
    after `now + future_skew`."""

    future_skew: timedelta
    max_age: timedelta | None = None

    def problem(self, created: datetime, now: datetime) -> str | None:
        if created > now + self.future_skew:
            return f"is more than {self.future_skew} in the future"
        if self.max_age is not None and created < now - self.max_age:
            return f"is older than {self.max_age.days} days"
        return None


# --- an HTTP batch -------------------------------------------------------------------------


def decode_post_batch(body: bytes, content_type: str, limit: int) -> list[Post]:
    """Posts from a JSON array, or NDJSON when the content type says so; one bad post refuses
    the batch, naming each bad post's index and field. Repeated ids are kept (see RecentIds)."""
    if "ndjson" in content_type or "jsonl" in content_type:
        items: list[bytes] = [ln for ln in body.split(b"\n") if ln.strip()]
    else:
        try:
            items = [bytes(raw) for raw in _raw_list.decode(body)]
        except msgspec.ValidationError as exc:
            raise InvalidInput(
                "the batch is not a list of posts",
                details=[field_error("$", "not a list", detail=str(exc))],
            ) from exc
        except msgspec.DecodeError as exc:
            raise MalformedBody(
                "the body is not valid JSON", details=[{"field": None, "reason": str(exc)}]
            ) from exc
    if len(items) > limit:
        raise InvalidInput(
            f"a batch holds at most {limit} posts; this one has {len(items)}",
            details=[field_error("$", "too many posts", count=len(items), limit=limit)],
        )
    posts: list[Post] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        parsed, problems = parse_posts_jsonl([item])
        if problems:
            errors.append(parse_error_detail(problems[0].reason, index))
            if len(errors) >= MAX_DETAILS:
                break
        else:
            posts.extend(parsed)
    if errors:
        raise InvalidInput(
            f"{len(errors)} post(s) of the batch are invalid; nothing was taken",
            details=errors,
        )
    return posts


def check_times(posts: list[Post], now: datetime, window: TimeWindow) -> None:
    """Refuses the batch when any post's time is outside the window."""
    errors = []
    for index, post in enumerate(posts):
        problem = window.problem(post.created, now)
        if problem is not None:
            errors.append(
                field_error("created", f"the time {problem}", index=index, path=f"$[{index}]")
            )
            if len(errors) >= MAX_DETAILS:
                break
    if errors:
        raise InvalidInput(
            f"{len(errors)} post(s) have a time the server does not take", details=errors
        )


def parse_error_detail(reason: str, index: int) -> dict[str, Any]:
    """One `details` entry from a post parser's reason ("... - at `$.country`")."""
    text, _, where = reason.partition(" - at `")
    path = where.rstrip("`") if where else "$"
    name: str | None = path.rsplit(".", 1)[-1] if "." in path else None
    if name is None and ("required field" in text or "unknown field" in text) and "`" in text:
        name = text.split("`")[1]
    return {"field": name, "index": index, "path": f"$[{index}]" + path[1:], "reason": text}


# --- a file ---------------------------------------------------------------------------------


@dataclass
class SendResult:
    """What the receiving end did with a chunk: taken, dropped as seen before, or refused (by
    position in the chunk, with the reason)."""

    accepted: int
    duplicates: int = 0
    refused: dict[int, str] = field(default_factory=dict)


class PostSink(Protocol):
    def send(self, posts: list[Post], key: str) -> SendResult: ...


@dataclass
class ImportStats:
    lines: int = 0
    posts: int = 0  # well-formed posts read
    accepted: int = 0
    duplicates: int = 0
    chunks: int = 0
    seconds: float = 0.0  # reading, checking and sending; not starting up
    skipped: list[PostParseError] = field(default_factory=list)


def chunk_key(posts: list[Post]) -> str:
    """A key that names a chunk by the posts in it: importing a file again repeats the keys,
    so the store takes each chunk once."""
    digest = hashlib.blake2b(digest_size=16)
    for post in posts:
        digest.update(post.id.encode())
        digest.update(b"\n")
    return f"import-{digest.hexdigest()}"


def read_chunks(stream: BinaryIO, size: int) -> Iterator[tuple[int, list[bytes]]]:
    """(number of the first line, lines) of at most `size` lines at a time."""
    first = 1
    lines: list[bytes] = []
    for line in stream:
        lines.append(line)
        if len(lines) >= size:
            yield first, lines
            first += len(lines)
            lines = []
    if lines:
        yield first, lines


class PostImport:
    """Reads a JSON lines file in chunks and sends its posts; bad lines are skipped and kept,
    with their numbers, in `stats.skipped`."""

    def __init__(
        self,
        sink: PostSink,
        *,
        chunk_size: int = 5_000,
        window: TimeWindow | None = None,
        now: Callable[[], datetime] | None = None,
        recent: RecentIds | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        if window is not None and now is None:
            raise ValueError("a time window needs a clock")
        self.sink = sink
        self.chunk_size = chunk_size
        self.window = window
        self.now = now
        self.recent = recent or RecentIds(1_000_000)
        self.stats = ImportStats()

    def run(self, path: Path, progress: Callable[[int], None] | None = None) -> ImportStats:
        """Imports the file; `progress` is told how many bytes each chunk took."""
        started = time.perf_counter()
        with path.open("rb") as stream:
            for first, lines in read_chunks(stream, self.chunk_size):
                self._chunk(first, lines)
                if progress is not None:
                    progress(sum(len(line) for line in lines))
        self.stats.skipped.sort(key=lambda e: e.line)
        self.stats.seconds += time.perf_counter() - started
        return self.stats

    def _chunk(self, first: int, lines: list[bytes]) -> None:
        stats = self.stats
        stats.lines += len(lines)
        numbered: list[tuple[int, Post]] = []
        for offset, line in enumerate(lines):
            number = first + offset
            parsed, problems = parse_posts_jsonl([line])
            if problems:
                stats.skipped.append(PostParseError(number, problems[0].reason))
                continue
            if not parsed:
                continue  # a blank line
            post = parsed[0]
            problem = self._time_problem(post)
            if problem is not None:
                stats.skipped.append(PostParseError(number, f"the time {problem}"))
                continue
            numbered.append((number, post))
        stats.posts += len(numbered)
        fresh = self.recent.claim(post for _, post in numbered)
        stats.duplicates += len(numbered) - len(fresh)
        # by identity: a repeated id's first post is fresh, its later ones are not
        kept = {id(post) for post in fresh}
        numbered = [(n, p) for n, p in numbered if id(p) in kept]
        self._send(numbered)

    def _time_problem(self, post: Post) -> str | None:
        if self.window is None or self.now is None:
            return None
        return self.window.problem(post.created, self.now())

    def _send(self, numbered: list[tuple[int, Post]]) -> None:
        # a receiver that refuses posts names them (a bounded number at a time): those are
        # skipped and the rest sent again, for as long as each answer names some
        while numbered:
            posts = [post for _, post in numbered]
            result = self.sink.send(posts, chunk_key(posts))
            if not result.refused:
                self.stats.chunks += 1
                self.stats.accepted += result.accepted
                self.stats.duplicates += result.duplicates
                return
            named = {i for i in result.refused if 0 <= i < len(numbered)}
            if not named:
                raise InvalidInput("the receiver refused posts it did not name")
            for index in sorted(named):
                self.stats.skipped.append(PostParseError(numbered[index][0], result.refused[index]))
            numbered = [item for i, item in enumerate(numbered) if i not in named]


# --- where a file's posts go -----------------------------------------------------------------

BATCH_PATH = "/api/v1/posts/batch"
_encoder = msgspec.json.Encoder()


class LogSink:
    """Into a log in this process: what the server's own API publishes to."""

    def __init__(self, log: Log) -> None:
        self._log = log
        self._runner = asyncio.Runner()

    def send(self, posts: list[Post], key: str) -> SendResult:
        self._runner.run(self._log.publish("posts", posts, key))
        return SendResult(accepted=len(posts))

    def close(self) -> None:
        self._runner.close()


class HttpPostSink:
    """To a running server, as NDJSON batches; a batch is sent again, with the same key, until
    the server answers (it takes each key once)."""

    def __init__(
        self,
        server: str,
        token: str | None,
        *,
        client: httpx.Client | None = None,
        attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = client or httpx.Client(base_url=server.rstrip("/"), timeout=60.0)
        self._headers = headers
        self._attempts = attempts
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def send(self, posts: list[Post], key: str) -> SendResult:
        body = b"\n".join(_encoder.encode(post) for post in posts)
        headers = {
            **self._headers,
            "Content-Type": "application/x-ndjson",
            "Idempotency-Key": key,
        }
        for attempt in range(self._attempts):
            try:
                response = self._client.post(BATCH_PATH, content=body, headers=headers)
            except httpx.TransportError:
                self._sleep(min(0.25 * 2**attempt, 5.0))
                continue
            if response.status_code in (429, 503):
                self._sleep(_retry_after(response.headers.get("Retry-After")))
                continue
            if response.status_code < 300:
                answer = response.json()
                return SendResult(int(answer["accepted"]), int(answer.get("duplicates", 0)))
            refused = _refused(response) if response.status_code == 422 else {}
            if refused:
                return SendResult(0, refused=refused)
            raise RasdError(
                f"the server refused the posts: HTTP {response.status_code} {response.text[:300]}"
            )
        raise Unavailable(f"the server at {self._client.base_url} did not take the posts")


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or "1"), 0.0), 30.0)
    except ValueError:
        return 1.0


def _refused(response: httpx.Response) -> dict[int, str]:
    """Posts a 422 answer names by index, with why (empty when it names none)."""
    try:
        details = response.json()["error"]["details"]
    except (ValueError, KeyError, TypeError):
        return {}
    refused: dict[int, str] = {}
    for detail in details if isinstance(details, list) else []:
        index = detail.get("index") if isinstance(detail, dict) else None
        if isinstance(index, int):
            where = f" - at `$.{detail['field']}`" if detail.get("field") else ""
            refused.setdefault(index, f"{detail.get('reason', 'refused')}{where}")
    return refused
