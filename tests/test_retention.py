"""`rasd serve` forgets in the background what is past its retention: raw reports, minute
counts (rolled into hourly ones), the posts sample and comments, on its own clock."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from rasd.api.comments import book_of
from rasd.assembly import build_runtime
from rasd.clock import VirtualClock, minute_of
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.server import retention_loop
from rasd.settings import Settings
from rasd.signals.reports import ReportColumns, encode_batch
from rasd.signals.sample import Heard, runtime_sample
from rasd.store.counts import RawBatch

T0 = datetime(2024, 2, 24, 12, 0, tzinfo=UTC)
WA = SeriesKey("whatsapp", REPORTS, WORLD)


def _batch(at: datetime) -> RawBatch:
    cols = ReportColumns(
        ts_ms=np.array([int(at.timestamp() * 1000)], np.int64),
        service=np.zeros(1, np.int32),
        problem=np.zeros(1, np.int16),
        place=np.zeros(1, np.int32),
        reporter=np.array([7], np.uint64),
        network=np.array([9], np.uint64),
        services=("whatsapp",),
        problems=("login",),
        places=("EG",),
    )
    return encode_batch(cols, np.ones(1, bool), np.zeros(1, np.int8))


def _post(key: str, at: datetime) -> Heard:
    return Heard(
        key, at=at, text=f"WhatsApp is down {key}", lang="en", link=None,
        services={"whatsapp": "complaint"},
    )  # fmt: skip


def _until(done: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)


def test_serve_prunes_in_the_background_as_its_clock_moves(tmp_path: Path) -> None:
    clock = VirtualClock(T0 - timedelta(days=1))
    settings = Settings(
        store_url=f"sqlite:///{tmp_path / 'kept.db'}",
        raw_retention_hours=2,
        minute_retention_days=1,
        post_sample_hours=3,
        comment_retention_days=3,
        retention_interval_seconds=0.05,
    )
    runtime = build_runtime(settings, clock=clock)
    book = book_of(runtime)
    book.add(service="whatsapp", text="an old comment", network="n1")
    clock.set(T0)
    book.add(service="whatsapp", text="a new comment", network="n2")
    store = runtime.store
    now = minute_of(T0)
    # two days of a count every ten minutes; raw reports of 5 and 1 hours ago
    store.add_counts({(WA, m): 2 for m in range(now - 2 * 1440, now, 10)})
    store.write_reports(_batch(T0 - timedelta(hours=5)), {}, msg_id="old")
    store.write_reports(_batch(T0 - timedelta(hours=1)), {}, msg_id="new")
    sample = runtime_sample(runtime)
    sample.add([_post("old", T0 - timedelta(hours=2)), _post("new", T0)], "bluesky")

    stop = asyncio.Event()

    async def serve_for_a_while() -> None:
        loop = asyncio.create_task(retention_loop(runtime, stop))
        # first round, at T0: raw reports over 2 hours old and minutes before yesterday's
        # first whole hour go; the posts (3 hours) and comments (3 days) stay
        await asyncio.to_thread(_until, lambda: not store.read_minutes(now - 2 * 1440, now - 1440))
        assert store.count_reports() == 1
        assert len(store.read_minutes(now - 1440, now)[WA]) == 144
        assert store.total(WA, now - 2 * 1440, now) == 2 * 288  # rolled up, none lost
        assert [p["text"] for p in sample.newest("whatsapp", 10)] == [
            "WhatsApp is down new",
            "WhatsApp is down old",
        ]
        assert len(book.shown("whatsapp")[0]) == 2
        # a day and two hours on: a later round takes the rest, without any new write
        clock.set(T0 + timedelta(days=2, hours=2))
        await asyncio.to_thread(
            _until, lambda: [c.text for c in book.shown("whatsapp")[0]] == ["a new comment"]
        )
        stop.set()
        await loop

    asyncio.run(serve_for_a_while())
    assert store.count_reports() == 0
    assert store.read_minutes(now - 2 * 1440, now + 3 * 1440) == {}
    assert store.total(WA, now - 2 * 1440, now) == 2 * 288
    assert [c.text for c in book.shown("whatsapp")[0]] == ["a new comment"]
    rows = store.read(lambda conn: conn.exec_driver_sql("SELECT count(*) FROM post_samples"))
    assert rows.scalar_one() == 0  # both posts are past 3 hours, though none came since
    store.close()
