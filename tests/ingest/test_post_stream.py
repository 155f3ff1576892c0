from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from conftest import T0

from rasd.clock import minute_of
from rasd.ingest.post_stream import FollowedFile, StreamStats, stream_posts
from rasd.ingest.posts_import import LogSink
from rasd.runtime import Runtime
from rasd.series import POSTS, WORLD, SeriesKey
from rasd.signals.posts import PostParseError


def _line(i: int, text: str) -> bytes:
    post = {"id": f"p{i}", "text": text, "created": T0.isoformat(), "author": f"a{i}"}
    return orjson.dumps(post) + b"\n"


def _until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_followed_file_feeds_the_posts_signal(tmp_path: Path, runtime: Runtime) -> None:
    from rasd.assembly import build_runtime

    # the same store, with every signal counted as `rasd serve` counts them
    runtime = build_runtime(
        runtime.settings, clock=runtime.clock, store=runtime.store, signals=True
    )
    feed = tmp_path / "posts.jsonl"
    feed.write_bytes(_line(0, "old post: WhatsApp is down"))  # before following: not read
    errors: list[PostParseError] = []
    source = FollowedFile(feed, poll_seconds=0.02, on_error=errors.append)
    sink = LogSink(runtime.log)
    stop = threading.Event()
    stats = StreamStats()
    worker = threading.Thread(target=stream_posts, args=(source, sink, stop, stats))
    worker.start()
    try:
        time.sleep(0.2)
        with feed.open("ab") as out:
            out.write(_line(1, "WhatsApp is down again?!"))
            out.write(b"{not json\n")
            out.write(_line(2, "واتساب واقف عندي"))
            out.write(_line(2, "واتساب واقف عندي"))  # the same id again
            out.flush()
        _until(lambda: stats.posts >= 2)
        # rotation: a new file under the same name is read from its beginning
        feed.unlink()
        feed.write_bytes(_line(3, "whatsapp not working"))
        _until(lambda: stats.posts >= 3)
    finally:
        stop.set()
        worker.join(timeout=10)
        sink.close()
    assert [e.line for e in errors] == [3]
    m = minute_of(T0)
    assert runtime.store.total(SeriesKey("whatsapp", POSTS, WORLD), m, m + 1) == 3
