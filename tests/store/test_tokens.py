"""The token rows, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from rasd.store import Store
from rasd.store.tokens import TokenRow, TokenRows


def _row(n: int, *, scope: str = "import", revoked: bool = False) -> TokenRow:
    return TokenRow(f"{n:016x}", f"hash-{n}", scope, f"label {n}", 1_000 * n, revoked)


def test_rows_come_back_as_they_went_in_oldest_first(store: Store) -> None:
    rows = TokenRows(store)
    for n in (3, 1, 2):
        rows.add(_row(n, scope="statements:facebook" if n == 2 else "import"))
    operator = _row(2, scope="statements:facebook")
    assert rows.listing(include_revoked=False) == [_row(1), operator, _row(3)]
    assert rows.by_hash("hash-3") == _row(3)
    assert rows.by_hash("hash-4") is None


def test_a_revoked_row_is_kept_and_listed_only_when_asked(store: Store) -> None:
    rows = TokenRows(store)
    rows.add(_row(1))
    rows.add(_row(2))
    assert rows.revoke(_row(1).id) is True
    assert rows.revoke(_row(1).id) is True  # again: still there, still revoked
    assert rows.revoke("f" * 16) is False
    assert rows.listing(include_revoked=False) == [_row(2)]
    assert rows.listing(include_revoked=True) == [_row(1, revoked=True), _row(2)]
    assert rows.by_hash("hash-1") == _row(1, revoked=True)


def test_two_rows_cannot_share_a_hash(store: Store) -> None:
    rows = TokenRows(store)
    rows.add(_row(1))
    clash = TokenRow("e" * 16, "hash-1", "admin", "", 5, False)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        rows.add(clash)
    assert rows.listing(include_revoked=True) == [_row(1)]
