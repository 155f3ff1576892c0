"""The posts path of live streams: a batch whose fate is unknown is sent again as it was."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import msgspec

from rasd.errors import Unavailable
from rasd.runtime import Runtime
from rasd.sources import SourceStatus
from rasd.sources.post_feed import PostFeed, lang_tag, post_key
from sources.posts_support import total, with_posts_counted


class _Flaky:
    """A log that applies the first batch and then says it could not (a timeout, say)."""

    def __init__(self, log: Any) -> None:
        self.log = log
        self.ids: list[str] = []

    async def publish(self, kind: str, payload: Any, msg_id: str) -> None:
        self.ids.append(msg_id)
        await self.log.publish(kind, payload, msg_id)
        if len(self.ids) == 1:
            raise Unavailable("no answer in time")

    async def close(self) -> None:
        return None


async def test_an_unanswered_batch_is_sent_again_as_it_was(runtime: Runtime) -> None:
    rt = with_posts_counted(runtime)
    flaky = _Flaky(rt.log)
    rt = dataclasses.replace(rt, log=flaky)
    clock = [0.0]
    feed = PostFeed(rt, SourceStatus("t", "posts"), cursor_name="t", monotonic=lambda: clock[0])
    at = rt.clock.now()

    def offer(n: int) -> None:
        feed.offer(f"t:{n}", f"facebook down {n}", at, author="a", position=float(n))
        feed.moved(n)

    offer(1)
    offer(2)
    clock[0] = 5.0
    assert await feed.flush() is False  # applied, but the log did not say so
    offer(3)  # a post more meanwhile: the batch must not change
    clock[0] = 10.0
    assert await feed.flush() is True
    assert flaky.ids[0] == flaky.ids[1] and len(flaky.ids) == 3
    assert total(rt, "facebook") == 3
    state = msgspec.json.decode(rt.store.get_state("cursor:t") or b"{}")
    assert state["cursor"] == 3 and state["inflight"] is None
    assert [k for k, _ in state["keys"]] == ["t:1", "t:2", "t:3"]
    # a restart remembers the keys: the same posts read again count for nothing
    again = PostFeed(rt, SourceStatus("t", "posts"), cursor_name="t")
    assert again.restore() == 3
    assert not again.offer("t:2", "facebook down 2", at + timedelta(seconds=1), author="a",
                           position=2.0)  # fmt: skip


def test_keys_and_language_tags_fit_the_posts_path() -> None:
    assert post_key("bsky", "did:plc:x/3mm") == "bsky:did:plc:x/3mm"
    long = post_key("bsky", "did:web:" + "a" * 300 + "/r")
    assert len(long) <= 200 and long.startswith("bsky:h:")
    assert [lang_tag(v) for v in ("en", "pt-BR", "zh-Hant-TW", "english!", "", 5, None)] == [
        "en", "pt-BR", "zh-Hant-TW", None, None, None, None,
    ]  # fmt: skip
