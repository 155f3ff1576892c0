"""Open a store from a URL: `sqlite:///path.db` or `postgresql://...`."""

from __future__ import annotations

from rasd.store.base import Store


def open_store(url: str) -> Store:
    if url.startswith("sqlite:///"):
        from rasd.store.sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url in ("sqlite://", "sqlite:///:memory:"):
        from rasd.store.sqlite import SQLiteStore

        return SQLiteStore(":memory:")
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        from rasd.store.postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"unknown store URL {url!r}: use sqlite:///FILE or postgresql://...")
