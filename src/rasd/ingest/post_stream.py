"""Live sources of public posts: anything that yields batches of posts as they arrive.

A source is the one small interface a live feed needs to implement (a platform's streaming
API, a message queue...); `FollowedFile` is the one shipped: it follows a JSON lines file that
another program appends to, as `tail -f` does, surviving truncation and rotation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from rasd.ingest.posts_import import PostSink, chunk_key
from rasd.signals.posts import Post, PostParseError, parse_posts_jsonl


class PostSource(Protocol):
    def batches(self, stop: threading.Event) -> Iterator[list[Post]]:
        """Batches of new posts, until `stop` is set."""
        ...


@dataclass
class StreamStats:
    batches: int = 0
    posts: int = 0
    accepted: int = 0
    duplicates: int = 0
    skipped: list[PostParseError] = field(default_factory=list)


class FollowedFile:
    """New lines of a growing JSON lines file, parsed; bad lines reported by number."""

    def __init__(
        self,
        path: Path,
        *,
        poll_seconds: float = 1.0,
        from_start: bool = False,
        max_batch: int = 5_000,
        on_error: Callable[[PostParseError], None] | None = None,
    ) -> None:
        self.path = path
        self.poll_seconds = poll_seconds
        self.from_start = from_start
        self.max_batch = max_batch
        self.on_error = on_error
        self._line = 0  # lines read so far, for the numbers of bad lines

    def batches(self, stop: threading.Event) -> Iterator[list[Post]]:
        handle: BinaryIO | None = None
        inode: int | None = None
        pending = b""
        try:
            while not stop.is_set():
                if handle is None:
                    handle, inode = self._open()
                    pending = b""
                    if handle is None:
                        stop.wait(self.poll_seconds)
                        continue
                chunk = handle.read(1 << 20)
                if chunk:
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    yield from self._parse(lines)
                    continue
                if self._replaced(handle, inode):
                    handle.close()
                    handle = None
                    self.from_start = True  # a new file is read from its beginning
                    continue
                stop.wait(self.poll_seconds)
        finally:
            if handle is not None:
                handle.close()

    def _open(self) -> tuple[BinaryIO | None, int | None]:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return None, None
        self._line = 0
        if not self.from_start:
            # skip what is there, counting its lines so bad lines are named by their number
            for block in iter(lambda: handle.read(1 << 20), b""):
                self._line += block.count(b"\n")
        return handle, os.fstat(handle.fileno()).st_ino

    def _replaced(self, handle: BinaryIO, inode: int | None) -> bool:
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            return False
        # rotated (another file now has the name) or truncated (shorter than what was read)
        return now.st_ino != inode or now.st_size < handle.tell()

    def _parse(self, lines: list[bytes]) -> Iterator[list[Post]]:
        for start in range(0, len(lines), self.max_batch):
            part = lines[start : start + self.max_batch]
            posts, errors = parse_posts_jsonl(part)
            for error in errors:
                numbered = PostParseError(line=self._line + error.line, reason=error.reason)
                if self.on_error is not None:
                    self.on_error(numbered)
            self._line += len(part)
            if posts:
                yield posts


def stream_posts(
    source: PostSource, sink: PostSink, stop: threading.Event, stats: StreamStats | None = None
) -> StreamStats:
    """Send every batch a source yields until `stop`; keys make a resent batch count once."""
    stats = stats or StreamStats()
    for posts in source.batches(stop):
        result = sink.send(posts, chunk_key(posts))
        stats.batches += 1
        stats.posts += len(posts)
        stats.accepted += result.accepted
        stats.duplicates += result.duplicates
    return stats
