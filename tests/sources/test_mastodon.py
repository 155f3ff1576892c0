"""Mastodon: the streaming API (SSE) and its REST backfill, against a local stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from rasd.assembly import build_runtime
from rasd.runtime import Runtime
from rasd.series import RECOVERY_POSTS
from rasd.settings import MastodonInstance, Settings
from rasd.sources.mastodon import MastodonSource, Stream, build, html_text
from sources.mastodon_standin import TOKEN, FakeMastodon, status
from sources.posts_support import Running, total, with_posts_counted
from sources.standin import wait_for


@pytest.fixture
def counted(runtime: Runtime) -> Runtime:
    return with_posts_counted(runtime)


@pytest.fixture
async def mastodon() -> AsyncIterator[FakeMastodon]:
    fake = FakeMastodon()
    async with fake.standin:
        yield fake


async def started(
    runtime: Runtime, fake: FakeMastodon, streams: tuple[str, ...] = ("public",), **options: Any
) -> Running:
    instance = MastodonInstance(url=fake.url, token=TOKEN, streams=list(streams))
    options.setdefault("hold_seconds", 0.3)
    options.setdefault("backoff_base", 0.05)
    options.setdefault("backoff_cap", 0.2)
    run = Running(MastodonSource(runtime, instance, **options))
    await wait_for(lambda: fake.stream_connections >= len(streams))
    return run


def complaints(first: int, count: int, **options: Any) -> list[dict[str, Any]]:
    return [
        status(first + i, f"<p>WhatsApp is down again, cannot send messages {i}</p>", **options)
        for i in range(count)
    ]


def test_html_is_reduced_to_text_and_nothing_of_it_is_kept() -> None:
    html = (
        '<p>WhatsApp <span class="h-card"><a href="https://x/@w">@<span>w</span></a></span>'
        ' is down &amp; out<br />again</p><p>#<a href="https://x/tags/down">down</a></p>'
        "<script>alert('no')</script><style>p{}</style>&lt;b&gt;"
    )
    assert html_text(html) == "WhatsApp @w is down & out again #down <b>"
    assert html_text("plain   text") == "plain text"


def test_streams_are_read_from_the_settings() -> None:
    assert Stream("public:local").stream_path() == ("/api/v1/streaming/public/local", {})
    assert Stream("hashtag:local:#WhatsAppDown").timeline_path() == (
        "/api/v1/timelines/tag/WhatsAppDown",
        {"local": "true"},
    )
    with pytest.raises(ValueError, match="hashtag"):
        Stream("hashtag:")
    with pytest.raises(ValueError, match="unknown stream"):
        Stream("home")


async def test_updates_edits_deletes_and_heartbeats(
    counted: Runtime, mastodon: FakeMastodon
) -> None:
    run = await started(counted, mastodon)
    src = run.src
    await mastodon.post(
        status(1, "<p>WhatsApp is down again, <b>cannot</b> send messages</p>"),
        status(2, "<p>whatsapp is back up</p>", language=None),
        status(3, "<p>I love my cat</p>"),
        status(4, "<p>facebook down</p>"),
    )
    await mastodon.event("delete", status(4, "")["id"])  # before it was counted
    await mastodon.event("update", '{"id": "1", "content": ')  # malformed
    edited = status(5, "<p>instagram down</p>")
    await mastodon.post(edited)
    edited = {**edited, "content": "<p>Instagram not loading at all #instagramdown</p>"}
    await mastodon.event("status.update", _json(edited))
    await mastodon.post(status(1, "<p>WhatsApp is down again, cannot send messages</p>"))
    await wait_for(lambda: src.status().totals["counted"] == 3)
    await asyncio.sleep(0.3)  # heartbeats in between change nothing
    await run.stop()
    assert total(counted, "whatsapp") == 1
    assert total(counted, "whatsapp", RECOVERY_POSTS) == 1
    assert total(counted, "instagram") == 1 and total(counted, "facebook") == 0
    detail = src.status().snapshot()["detail"]
    assert detail["deletes"] == 1 and detail["withdrawn"] == 2  # the delete and the edit
    assert detail["malformed"] == 1 and detail["duplicates"] == 1 and detail["edits"] == 1
    assert src.status().snapshot()["state"] == "connected"


async def test_after_a_gap_the_timeline_fills_it_nothing_twice(
    counted: Runtime, mastodon: FakeMastodon
) -> None:
    mastodon.faults = {1: ("cut", 3)}
    run = await started(counted, mastodon, ("public", "hashtag:WhatsAppDown"))
    src = run.src
    await mastodon.post(*complaints(1, 5, tags=("WhatsAppDown",)))  # on both streams
    await wait_for(lambda: total(counted, "whatsapp") == 5)
    await mastodon.standin.stop()  # the server goes away; people go on posting
    await mastodon.post(*complaints(100, 90, tags=("WhatsAppDown",)), live=False)
    await mastodon.standin.start()
    await wait_for(lambda: total(counted, "whatsapp") >= 95)
    await mastodon.post(*complaints(300, 3))
    await wait_for(lambda: total(counted, "whatsapp") >= 98)
    await asyncio.sleep(0.5)
    await run.stop()
    assert total(counted, "whatsapp") == 98
    pages = mastodon.timeline_requests()
    assert pages and all("min_id" in r.query for r in pages)
    assert {r.path for r in pages} == {
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/WhatsAppDown",
    }
    assert src.feed.stats["duplicates"] > 0


async def test_the_rate_limit_is_kept_to(counted: Runtime, mastodon: FakeMastodon) -> None:
    run = await started(counted, mastodon, rate_reserve=2)
    await mastodon.post(*complaints(1, 1))
    await wait_for(lambda: total(counted, "whatsapp") == 1)
    await run.stop()
    await mastodon.post(*complaints(10, 130), live=False)
    mastodon.remaining = 3  # then the server says: spent
    mastodon.refuse_next = 1
    run = await started(counted, mastodon, rate_reserve=2)
    await wait_for(lambda: total(counted, "whatsapp") == 131)
    await run.stop()
    assert run.src.counts["rate_limited"] >= 2
    assert run.src.counts["backfill_requests"] >= 5


async def test_restarts_of_rasd_resume_from_the_stored_place(
    counted: Runtime, mastodon: FakeMastodon
) -> None:
    run = await started(counted, mastodon)
    await mastodon.post(*complaints(1, 4))
    await wait_for(lambda: total(counted, "whatsapp") == 4)
    await run.stop()
    await mastodon.post(*complaints(10, 6), live=False)  # while Rasd was down
    run = await started(counted, mastodon)
    await mastodon.post(*complaints(20, 2))
    await wait_for(lambda: total(counted, "whatsapp") == 12)
    await asyncio.sleep(0.5)
    await run.stop()
    assert total(counted, "whatsapp") == 12
    (page, *_) = mastodon.timeline_requests()
    assert page.query["min_id"] == status(4, "")["id"]


async def test_a_stream_redirected_to_another_host_keeps_its_token(
    counted: Runtime, mastodon: FakeMastodon
) -> None:
    streaming = FakeMastodon()
    async with streaming.standin:
        mastodon.streams_at = streaming.url
        instance = MastodonInstance(url=mastodon.url, token=TOKEN, streams=["public"])
        run = Running(MastodonSource(counted, instance, hold_seconds=0.3, backoff_base=0.05))
        await wait_for(lambda: streaming.stream_connections == 1)
        await streaming.post(*complaints(1, 2))
        await wait_for(lambda: total(counted, "whatsapp") == 2)
        await run.stop()
    assert run.src._streaming == streaming.url
    assert mastodon.stream_connections == 0 and streaming.stream_connections >= 1


async def test_a_refused_token_is_an_error_shown(counted: Runtime, mastodon: FakeMastodon) -> None:
    instance = MastodonInstance(url=mastodon.url, token="wrong", streams=["public"])
    src = MastodonSource(counted, instance, backoff_base=0.05, backoff_cap=0.1)
    run = Running(src)
    await wait_for(lambda: src.status().last_error is not None)
    await run.stop()
    assert "401" in (src.status().last_error or "")
    assert src.status().state == "error"


async def test_off_until_configured_and_offline_for_far_servers(
    counted: Runtime, clock: Any
) -> None:
    assert build(counted) == []
    far = MastodonInstance(url="https://mastodon.example", token="t")
    settings = Settings(store_url="sqlite:///:memory:", mastodon_instances=[far])
    rt = build_runtime(settings, clock=clock)
    try:
        (src,) = build(rt)
        assert src.name == "mastodon:mastodon.example"
        run = Running(src)
        await wait_for(lambda: src.status().state == "offline")
        await run.stop()
    finally:
        rt.store.close()


def _json(one: dict[str, Any]) -> str:
    import orjson

    return orjson.dumps({k: v for k, v in one.items() if not k.startswith("_")}).decode()
