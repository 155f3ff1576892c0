"""Bluesky through Jetstream: a real WebSocket client against a local Jetstream stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import msgspec
import pytest
import zstandard

from rasd.assembly import build_runtime
from rasd.runtime import Runtime
from rasd.series import POSTS, RECOVERY_POSTS, WORLD, SeriesKey
from rasd.settings import Settings
from rasd.signals.sample import runtime_sample
from rasd.sources import Backoff
from rasd.sources.jetstream import JetstreamSource, build, post_link
from rasd.sources.post_feed import runtime_analyser
from sources.jetstream_standin import DID, T0_US, FakeJetstream, account, create, delete, identity
from sources.posts_support import Running, total, with_posts_counted
from sources.standin import free_port, wait_for

SECOND = 1_000_000


@pytest.fixture
def counted(runtime: Runtime) -> Runtime:
    return with_posts_counted(runtime)


@pytest.fixture
async def jetstream() -> AsyncIterator[FakeJetstream]:
    fake = FakeJetstream()
    async with fake.standin:
        yield fake


def source(runtime: Runtime, urls: list[str], **options: Any) -> JetstreamSource:
    options.setdefault("backoff", Backoff(base=0.05, cap=0.2, seed=7))
    options.setdefault("hold_seconds", 0.3)
    return JetstreamSource(runtime, urls, rewind_seconds=5.0, **options)


async def started(runtime: Runtime, fake: FakeJetstream, **options: Any) -> Running:
    """A source on the stand-in, once it has subscribed (at the live tail)."""
    run = Running(source(runtime, [fake.url], **options))
    await wait_for(lambda: fake.standin.connections == 1)
    return run


def complaints(start_us: int, count: int, prefix: str = "p") -> list[bytes]:
    return [
        create(start_us + i * 1000, f"{prefix}{i}", f"WhatsApp is down again, cannot send {i}")
        for i in range(count)
    ]


async def test_creates_count_once_deletes_take_back_the_rest_is_passed_over(
    counted: Runtime, jetstream: FakeJetstream
) -> None:
    sample = runtime_sample(counted)
    run = await started(counted, jetstream, sample=partial(sample.add, source="bluesky"))
    src = run.src
    t = T0_US
    await jetstream.add(
        create(t + 1, "a1", "WhatsApp is down again, cannot send messages"),
        create(t + 2, "a2", "whatsapp is back up", langs=None),
        create(t + 3, "a3", "I love my cat"),
        create(t + 4, "a4", "facebook down"),
        delete(t + 5, "a4"),  # deleted before it was counted
        identity(t + 6),
        account(t + 7),
        b'{"did":"did:plc:x","time_us":' + str(t + 8).encode() + b',"kind":"sync","sync":{}}',
        create(t + 9, "a5", "Instagram not loading at all #instagramdown", langs=["en", "ar"]),
        create(t + 10, "a1", "WhatsApp is down again, cannot send messages"),  # twice
    )
    await jetstream.add_raw(b'{"did":"did:plc:x","time_us":1633348800')  # malformed JSON
    await jetstream.add(
        b'{"did":"did:plc:x","time_us":"soon","kind":"commit"}',  # wrong type
        create(t + 11, "a6", "lunch with friends on whatsapp"),
    )
    await wait_for(lambda: src.status().totals["counted"] == 3)
    await wait_for(lambda: src.feed.stream_cursor == t + 11)  # every message handled
    await run.stop()
    assert total(counted, "whatsapp") == 1
    assert total(counted, "whatsapp", RECOVERY_POSTS) == 1
    assert total(counted, "instagram") == 1
    assert total(counted, "facebook") == 0
    snap = src.status().snapshot()
    assert snap["totals"] == {"seen": 7, "matched": 5, "counted": 3}
    detail = snap["detail"]
    assert detail["malformed"] == 2 and detail["deletes"] == 1 and detail["withdrawn"] == 1
    assert detail["ignored"] == 3 and detail["duplicates"] == 1
    assert "malformed message skipped" in snap["last_error"]
    assert snap["state"] == "connected" and snap["cursor"] == str(t + 11)
    # the complaints are in the sample, with their links; the recovery is not
    said = {p["text"]: p for p in sample.newest("whatsapp") + sample.newest("instagram")}
    assert set(said) == {
        "WhatsApp is down again, cannot send messages",
        "Instagram not loading at all #instagramdown",
    }
    link = said["WhatsApp is down again, cannot send messages"]["link"]
    assert link == post_link(DID, "a1")


async def test_posts_are_placed_by_time_us_not_by_created_at(
    counted: Runtime, jetstream: FakeJetstream
) -> None:
    run = await started(counted, jetstream)
    src = run.src
    later = T0_US + 3 * 60 * SECOND  # createdAt says 09:00
    await jetstream.add(create(later, "b1", "facebook down"))
    await wait_for(lambda: src.status().totals["counted"] == 1)
    await run.stop()
    minute = later // SECOND // 60
    key = SeriesKey("facebook", POSTS, WORLD)
    assert counted.store.total(key, minute, minute + 1) == 1
    assert counted.store.total(key, minute - 180, minute) == 0


async def test_nothing_lost_nothing_twice_across_restarts_of_both_sides(
    counted: Runtime, jetstream: FakeJetstream
) -> None:
    jetstream.faults = {1: ("cut", 15), 3: ("close", 10)}
    run = await started(counted, jetstream)
    src = run.src
    await jetstream.add(*complaints(T0_US, 30))
    # the first frame cut in half, the second connection resumes, the server restarts
    await wait_for(lambda: src.status().totals["counted"] >= 20)
    await jetstream.standin.restart()
    await jetstream.add(*complaints(T0_US + 40_000, 20, "q"))
    await wait_for(lambda: jetstream.standin.connections >= 4)
    await wait_for(lambda: total(counted, "whatsapp") >= 50)
    await run.stop()  # Rasd's side restarts: a new source on the same store
    await jetstream.add(*complaints(T0_US + 80_000, 10, "r"))
    again = source(counted, [jetstream.url])
    run = Running(again)
    await wait_for(lambda: total(counted, "whatsapp") >= 60)
    await asyncio.sleep(0.5)  # room for a post counted twice to show
    await run.stop()
    assert total(counted, "whatsapp") == 60
    # every resume asked from a few seconds before the last post handled
    resumed = [c for c in jetstream.cursors[1:] if c is not None]
    assert len(resumed) == len(jetstream.cursors) - 1
    assert all(T0_US - 6 * SECOND < c < T0_US + 100_000 for c in resumed)
    assert again.feed.stats["duplicates"] > 0 and src.status().reconnects >= 2


async def test_a_cursor_older_than_the_window_replays_what_is_kept_once(
    counted: Runtime, jetstream: FakeJetstream
) -> None:
    await jetstream.add(*complaints(T0_US, 5, "old"))
    await jetstream.add(*complaints(T0_US + 10 * SECOND, 5, "kept"))
    jetstream.oldest_kept_us = T0_US + 10 * SECOND  # the rest fell out of the window
    counted.store.put_state("cursor:bluesky", msgspec.json.encode({"cursor": 1000, "keys": []}))
    src = source(counted, [jetstream.url])
    run = Running(src)
    await wait_for(lambda: src.status().totals["counted"] == 5)
    await run.stop()
    assert jetstream.cursors[0] == 0  # 1000 µs less the rewind
    assert total(counted, "whatsapp") == 5


async def test_a_crash_between_publishing_and_saving_counts_nothing_twice(
    counted: Runtime, jetstream: FakeJetstream
) -> None:
    await jetstream.add(*complaints(T0_US, 4))
    src = source(counted, [jetstream.url])
    src.feed.moved(T0_US - 1)
    for line in complaints(T0_US, 4):
        src.handle(line)
    # published, then the process died before it wrote its cursor: the write-ahead says so
    held = list(src.feed._held.values())
    keys = [[h.post.id, h.position] for h in held]
    counted.store.put_state(
        "cursor:bluesky",
        msgspec.json.encode(
            {"cursor": T0_US - 1, "keys": [], "inflight": {"id": "b:1", "keys": keys}}
        ),
    )
    await counted.log.publish("posts", [h.post for h in held], "b:1")
    assert total(counted, "whatsapp") == 4
    again = source(counted, [jetstream.url])
    run = Running(again)
    await wait_for(lambda: again.feed.stats["duplicates"] == 4)
    await run.stop()
    assert total(counted, "whatsapp") == 4


async def test_falls_back_to_the_next_instance(counted: Runtime, jetstream: FakeJetstream) -> None:
    dead = f"ws://127.0.0.1:{free_port()}/subscribe"
    src = source(counted, [dead, jetstream.url])
    run = Running(src)
    await wait_for(lambda: jetstream.standin.connections == 1)
    await jetstream.add(create(T0_US, "c1", "facebook down"))
    await wait_for(lambda: src.status().totals["counted"] == 1)
    snap = src.status().snapshot()
    await run.stop()
    assert snap["endpoint"] == jetstream.url and snap["state"] == "connected"


async def test_a_slow_posts_path_lets_go_and_resumes_from_its_cursor(
    counted: Runtime, jetstream: FakeJetstream
) -> None:
    run = await started(counted, jetstream, queue_max=4)
    src = run.src
    await jetstream.add(*complaints(T0_US, 40))
    await wait_for(lambda: total(counted, "whatsapp") >= 40)
    await asyncio.sleep(0.3)
    await run.stop()
    assert total(counted, "whatsapp") == 40
    assert src.counts["overflows"] >= 1 and jetstream.standin.connections >= 2


async def test_zstd_messages_are_read_and_a_bomb_is_refused(
    counted: Runtime, jetstream: FakeJetstream
) -> None:
    samples = [create(T0_US + i, f"s{i}", f"sample text number {i} of many") for i in range(400)]
    dictionary = zstandard.train_dictionary(4096, list[bytes | bytearray | memoryview](samples))
    jetstream.compress = zstandard.ZstdCompressor(dict_data=dictionary)
    src = source(
        counted, [jetstream.url], zstd_dictionary=dictionary.as_bytes(), max_message_bytes=4096
    )
    run = Running(src)
    await wait_for(lambda: jetstream.standin.connections == 1)
    bomb = create(T0_US + 1, "z0", "facebook down " + "x" * 100_000)
    await jetstream.add(bomb, create(T0_US + 2, "z1", "facebook down"))
    await wait_for(lambda: src.status().totals["counted"] == 1)
    await run.stop()
    assert jetstream.compressed == [True]
    assert src.counts["malformed"] == 1 and total(counted, "facebook") == 1


async def test_offline_it_contacts_nothing_and_says_so(counted: Runtime) -> None:
    src = source(counted, ["wss://jetstream.example/subscribe"])
    run = Running(src)
    await wait_for(lambda: src.status().state == "offline")
    await run.stop()
    assert "offline" in src.status().snapshot()["detail"]["offline_reason"]


def test_built_from_the_settings(clock: Any) -> None:
    settings = Settings(store_url="sqlite:///:memory:", jetstream_urls=["ws://127.0.0.1:1/s"])
    rt = build_runtime(settings, clock=clock)
    try:
        (one,) = build(rt)
        assert isinstance(one, JetstreamSource) and one.urls == ["ws://127.0.0.1:1/s"]
        assert one.subscribe_url(one.urls[0], 42).endswith(
            "?wantedCollections=app.bsky.feed.post&cursor=42"
        )
        assert runtime_analyser(rt) is runtime_analyser(rt)
    finally:
        rt.store.close()
    off = build_runtime(
        Settings(store_url="sqlite:///:memory:", jetstream_enabled=False), clock=clock
    )
    try:
        assert build(off) == []
    finally:
        off.store.close()
