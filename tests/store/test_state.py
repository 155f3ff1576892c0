"""The kept state part of the store, run on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from rasd.store.state import StateStore


def test_state_put_and_get(store: StateStore) -> None:
    assert store.get_state("detector") is None
    store.put_state("detector", b"\x00one")
    store.put_state("detector", b"\x00two")
    store.put_state("other", b"")
    assert store.get_state("detector") == b"\x00two"
    assert store.get_state("other") == b""


def test_states_read_together_leave_out_keys_with_none(store: StateStore) -> None:
    assert store.get_states([]) == {}
    assert store.get_states(["a", "b"]) == {}
    store.put_state("a", b"1")
    store.put_state("c", b"")
    assert store.get_states(["a", "b", "c"]) == {"a": b"1", "c": b""}


def test_state_claimed_keeps_the_first_value_written(store: StateStore) -> None:
    assert store.claim_state("link_key", b"first") == b"first"
    assert store.claim_state("link_key", b"second") == b"first"
    assert store.get_state("link_key") == b"first"
    store.put_state("link_key", b"replaced")  # a put still replaces, as ever
    assert store.claim_state("link_key", b"third") == b"replaced"
