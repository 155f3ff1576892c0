"""What the commands share: the console, the store they open, how a refusal ends them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

console = Console()


@contextmanager
def migrated_store(url: str | None) -> Iterator[Any]:
    from rasd.settings import Settings
    from rasd.store import open_store

    store = open_store(url or Settings().store_url)
    try:
        store.migrate()
        yield store
    finally:
        store.close()


def failed(exc: Exception) -> typer.Exit:
    console.print(f"[red]{getattr(exc, 'message', exc)}[/red]")
    return typer.Exit(2)
