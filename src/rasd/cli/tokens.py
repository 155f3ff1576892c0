"""`rasd tokens ...`: bearer tokens for imports, ingest and admin, from a shell."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rasd.cli.common import console, failed, migrated_store
from rasd.cli.options import StoreUrl

tokens_app = typer.Typer(help="Bearer tokens for imports, ingest and admin: create, list, revoke.")


@tokens_app.command("create")
def tokens_create(
    scope: Annotated[str, typer.Option(help="import, ingest, admin, or statements:<service>.")],
    label: Annotated[str, typer.Option(help="Who or what it is for.")] = "",
    store: StoreUrl = None,
) -> None:
    """Make a token; it is shown once, only its hash is kept."""
    from rasd.clock import SystemClock
    from rasd.errors import RasdError
    from rasd.tokens import TokenStore

    with migrated_store(store) as s:
        try:
            token, info = TokenStore(s, SystemClock()).create(scope, label)
        except RasdError as exc:
            raise failed(exc) from exc
    console.print(f"id {info.id}, scope {info.scope}. The token (shown only now):")
    print(token)


@tokens_app.command("list")
def tokens_list(
    all_: Annotated[bool, typer.Option("--all", help="Show revoked tokens too.")] = False,
    store: StoreUrl = None,
) -> None:
    """Tokens by id, scope and label (never the tokens themselves)."""
    from rasd.clock import SystemClock
    from rasd.tokens import TokenStore

    with migrated_store(store) as s:
        infos = TokenStore(s, SystemClock()).listing(include_revoked=all_)
    table = Table("id", "scope", "label", "created", "revoked")
    for info in infos:
        table.add_row(
            info.id,
            info.scope,
            info.label,
            info.created.isoformat(timespec="seconds"),
            "yes" if info.revoked else "",
        )
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The id shown by `rasd tokens list`.")],
    store: StoreUrl = None,
) -> None:
    """Stop a token from working (within seconds in running servers)."""
    from rasd.clock import SystemClock
    from rasd.errors import RasdError
    from rasd.tokens import TokenStore

    with migrated_store(store) as s:
        try:
            TokenStore(s, SystemClock()).revoke(token_id)
        except RasdError as exc:
            raise failed(exc) from exc
    console.print(f"revoked {token_id}")


# -- subscriptions and dead letters -------------------------------------------------------
