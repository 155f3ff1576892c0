"""Comment rows, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from rasd.store import Store
from rasd.store.comments import CommentRows


def _row(n: int, *, state: str = "shown", service: str = "whatsapp") -> dict[str, Any]:
    return {
        "id": f"{n:012x}beef",
        "service": service,
        "text": "down here too",
        "problem": None,
        "country": "EG",
        "lang": "en",
        "state": state,
        "reason": None if state == "shown" else "link",
        "network": f"net{n % 2}",
        "created_ms": 1_000 * n,
        "decided_ms": None,
    }


def _add(rows: CommentRows, n: int, **kw: Any) -> tuple[int, int]:
    seen: list[tuple[int, int]] = []

    def screen(mine: int, everyone: int) -> dict[str, Any]:
        seen.append((mine, everyone))
        return _row(n, **kw)

    kept = rows.add_screened(fingerprint="fp", network=f"net{n % 2}", since_ms=1_500, screen=screen)
    assert kept == _row(n, **kw)
    return seen[0]


def test_screening_counts_copies_since_then_mine_and_everyone_s(store: Store) -> None:
    rows = CommentRows(store)
    assert _add(rows, 1) == (0, 0)
    assert _add(rows, 2) == (0, 0)  # the first copy is older than since_ms
    assert _add(rows, 3) == (0, 1)  # net1 sent none since; net0 sent n=2
    assert _add(rows, 4) == (1, 2)


def test_pages_states_and_forgetting(store: Store) -> None:
    rows = CommentRows(store)
    for n in range(1, 5):
        _add(rows, n, state="held" if n == 2 else "shown")
    _add(rows, 5, service="facebook")
    page, total = rows.page(state="shown", service="whatsapp", limit=2, offset=0)
    assert [r["created_ms"] for r in page] == [4_000, 3_000] and total == 3
    page, total = rows.page(state="shown", service=None, limit=10, offset=1)
    assert [r["created_ms"] for r in page] == [4_000, 3_000, 1_000] and total == 4
    held = _row(2, state="held")["id"]
    assert rows.get(held) == {**_row(2, state="held"), "fingerprint": "fp"}
    rows.set_state(held, "shown", 9_000)
    got = rows.get(held)
    assert got is not None and (got["state"], got["decided_ms"]) == ("shown", 9_000)
    rows.delete(held)
    assert rows.get(held) is None
    assert rows.forget_older_than(3_500) == 2  # n=1 and n=3
    assert rows.page(state="shown", service=None, limit=10, offset=0)[1] == 2
