from __future__ import annotations

# the store on both databases, as the store's own tests have it
from store.conftest import postgres_url, store

__all__ = ["postgres_url", "store"]
