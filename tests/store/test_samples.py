"""Post sample rows, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from rasd.store import Store
from rasd.store.samples import SampleRows


def _post(key: str, at_ms: int, service: str = "whatsapp") -> dict[str, Any]:
    return {
        "service": service,
        "post_key": key,
        "text": f"واتساب واقف {key}",
        "lang": "ar",
        "at_ms": at_ms,
        "link": None,
        "label": "complaint",
        "source": "bluesky:jetstream",
    }


def test_a_post_is_kept_once_newest_first(store: Store) -> None:
    rows = SampleRows(store)
    rows.keep([_post("a", 1_000), _post("b", 2_000)], older_than_ms=0, per_service=10)
    rows.keep([_post("b", 2_000), _post("c", 2_000)], older_than_ms=0, per_service=10)
    kept = rows.newest("whatsapp", since_ms=0, limit=10)
    assert [r["post_key"] for r in kept] == ["b", "c", "a"]  # same time: key order
    assert kept[-1] == _post("a", 1_000)
    assert [r["post_key"] for r in rows.newest("whatsapp", since_ms=1_500, limit=10)] == ["b", "c"]
    assert rows.newest("facebook", since_ms=0, limit=10) == []


def test_old_posts_and_those_past_the_cap_go(store: Store) -> None:
    rows = SampleRows(store)
    posts = [_post(f"p{n}", 1_000 * n) for n in range(1, 6)] + [_post("x", 3_000, "facebook")]
    rows.keep(posts, older_than_ms=2_000, per_service=2)
    assert [r["post_key"] for r in rows.newest("whatsapp", since_ms=0, limit=10)] == ["p5", "p4"]
    assert [r["post_key"] for r in rows.newest("facebook", since_ms=0, limit=10)] == ["x"]
    assert rows.forget_older_than(4_500) == 2  # p4 and x
    assert [r["post_key"] for r in rows.newest("whatsapp", since_ms=0, limit=10)] == ["p5"]
    rows.keep([], older_than_ms=10_000, per_service=1)  # nothing to keep: nothing forgotten
    assert len(rows.newest("whatsapp", since_ms=0, limit=10)) == 1
