"""`rasd comments ...`: the moderator's queue from a shell (list, approve, hide, delete).

Approving here counts the comment's evidence straight into the store, under the same message
id the server would use, so a comment is counted once whichever way it was shown. A running
server draws its pages again at its next detection tick, so the page shows it within a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rasd.cli.common import failed, migrated_store
from rasd.cli.options import StoreUrl

console = Console()
comments_app = typer.Typer(help="Comments on service pages: the moderator's queue.")


@contextmanager
def _book(url: str | None) -> Iterator[Any]:
    from rasd.clock import SystemClock
    from rasd.comments import CommentBook
    from rasd.settings import Settings

    with migrated_store(url) as store:
        yield CommentBook(store, SystemClock(), repeat_hours=Settings().comment_repeat_hours)


@comments_app.command("list")
def comments_list(
    state: Annotated[str, typer.Option(help="held, shown or hidden.")] = "held",
    service: Annotated[str | None, typer.Option(help="Only this service's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    store: StoreUrl = None,
) -> None:
    """Comments in one state, newest first: the held ones wait for a decision."""
    from rasd.comments.book import STATES

    if state not in STATES:
        console.print(f"[red]state is one of {', '.join(STATES)}[/red]")
        raise typer.Exit(2)
    with _book(store) as book:
        rows, total = book.queue(state=state, service=service, limit=limit)
    table = Table("id", "service", "when", "country", "why", "text")
    for c in rows:
        table.add_row(
            c.id,
            c.service,
            c.created.isoformat(timespec="seconds"),
            c.country or "",
            c.reason or "",
            # as Text, not a string: rich would read [brackets] in it as markup; repr shows
            # line breaks and controls for what they are
            Text(repr(c.text)[1:-1][:120]),
        )
    console.print(table)
    console.print(f"{len(rows)} of {total} {state}")


@comments_app.command("approve")
def comments_approve(comment_id: str, store: StoreUrl = None) -> None:
    """Show a held comment, and count it as a post about its service."""
    from rasd.catalog import load_catalog
    from rasd.errors import RasdError
    from rasd.settings import Settings
    from rasd.signals.posts import PostCounter
    from rasd.signals.text import AliasMatcher

    with _book(store) as book:
        try:
            comment, newly = book.decide(comment_id, "shown")
        except RasdError as exc:
            raise failed(exc) from exc
        counted = False
        if newly:
            catalog = load_catalog(Settings().catalog_files)
            increments = PostCounter(AliasMatcher.from_catalog(catalog)).count([comment.as_post()])
            counted = bool(increments) and book.store.add_counts(
                increments, f"comment:{comment.id}"
            )
    console.print(f"{comment.id} shown" + (", counted as a post" if counted else ""))


@comments_app.command("hide")
def comments_hide(comment_id: str, store: StoreUrl = None) -> None:
    """Hide a comment; it stays, hidden, until deleted or too old."""
    from rasd.errors import RasdError

    with _book(store) as book:
        try:
            comment, _ = book.decide(comment_id, "hidden")
        except RasdError as exc:
            raise failed(exc) from exc
    console.print(f"{comment.id} hidden")


@comments_app.command("delete")
def comments_delete(comment_id: str, store: StoreUrl = None) -> None:
    """Delete a comment for good."""
    from rasd.errors import RasdError

    with _book(store) as book:
        try:
            gone = book.delete(comment_id)
        except RasdError as exc:
            raise failed(exc) from exc
    console.print(f"{gone.id} deleted")
