"""Where each source keeps its place in its feed, durably, in the store's state table."""

from __future__ import annotations

from rasd.store.state import StateStore

_PREFIX = "cursor:"


class Cursors:
    def __init__(self, store: StateStore) -> None:
        self._store = store

    def get(self, source: str) -> bytes | None:
        return self._store.get_state(_PREFIX + source)

    def put(self, source: str, value: bytes) -> None:
        self._store.put_state(_PREFIX + source, value)
