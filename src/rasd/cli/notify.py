"""`rasd notify ...`: subscriptions and dead letters from a shell."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from rasd.cli.common import console, failed, migrated_store
from rasd.cli.options import StoreUrl

notify_app = typer.Typer(help="Alerts: subscriptions and the dead-letter list.")


def _notifier(store: Any) -> Any:
    from rasd.catalog import load_catalog
    from rasd.clock import SystemClock
    from rasd.notify.notifier import Notifier
    from rasd.settings import Settings

    settings = Settings()
    return Notifier(
        store,
        load_catalog(settings.catalog_files),
        SystemClock(),
        public_url=settings.public_url or f"http://{settings.host}:{settings.port}",
    )


@notify_app.command("subscribe")
def notify_subscribe(
    channel: Annotated[str, typer.Option(help="webhook or apprise.")],
    url: Annotated[str, typer.Option(help="The webhook URL, or an apprise URL.")],
    service: Annotated[str | None, typer.Option(help="Only this service.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's services.")] = None,
    country: Annotated[str | None, typer.Option(help="Only this country's services.")] = None,
    min_level: Annotated[
        str, typer.Option(help="possible_problems or problems_detected.")
    ] = "possible_problems",
    lang: Annotated[str, typer.Option(help="en or ar.")] = "en",
    label: Annotated[str, typer.Option(help="A note for admins.")] = "",
    store: StoreUrl = None,
) -> None:
    """Subscribe a webhook or an apprise URL to one service, owner, country, or everything."""
    from rasd.errors import RasdError
    from rasd.notify.subscriptions import LEVELS, scope_from

    if min_level not in LEVELS:
        console.print(f"[red]--min-level is one of {', '.join(LEVELS)}[/red]")
        raise typer.Exit(2)
    with migrated_store(store) as s:
        notifier = _notifier(s)
        try:
            kind, value = scope_from(service, owner, country)
            sub = notifier.subscriptions.create(
                channel=channel,
                target=url,
                scope_kind=kind,
                scope_value=value,
                min_level=LEVELS[min_level],
                lang=lang,
                label=label,
            )
        except RasdError as exc:
            raise failed(exc) from exc
    console.print(f"subscription {sub.id}")
    if sub.secret:
        console.print("webhook signing secret (shown only now):")
        print(sub.secret)


@notify_app.command("list")
def notify_list(
    all_: Annotated[bool, typer.Option("--all", help="Ended subscriptions too.")] = False,
    pending: Annotated[
        bool, typer.Option("--pending", help="Only those waiting for confirmation.")
    ] = False,
    store: StoreUrl = None,
) -> None:
    """Subscriptions, active and waiting for confirmation, with their targets masked."""
    from rasd.notify.subscriptions import STATES

    states = ("pending",) if pending else None if all_ else ("active", "pending")
    with migrated_store(store) as s:
        subscriptions = _notifier(s).subscriptions
        subs, total = subscriptions.page(states=states, limit=1000)
        counts = {state: subscriptions.page(states=[state], limit=1)[1] for state in STATES}
    table = Table(
        "id", "channel", "target", "scope", "from level", "lang", "state", "confirm by", "label"
    )
    for sub in subs:
        shown = sub.public()
        scope = shown["scope"]["kind"] + (f":{shown['scope']['value']}" if sub.scope_value else "")
        table.add_row(
            sub.id,
            sub.channel,
            shown["target"],
            scope,
            shown["min_level"],
            sub.lang,
            sub.state,
            "" if sub.confirm_by is None else sub.confirm_by.isoformat(timespec="minutes"),
            sub.label,
        )
    console.print(table)
    console.print(
        f"{total} shown; {counts['active']} active, {counts['pending']} waiting for "
        f"confirmation, {counts['ended']} ended"
    )


@notify_app.command("unsubscribe")
def notify_unsubscribe(
    subscription_id: Annotated[str, typer.Argument(help="The subscription's id.")],
    store: StoreUrl = None,
) -> None:
    """End a subscription."""
    from rasd.errors import RasdError

    with migrated_store(store) as s:
        try:
            _notifier(s).subscriptions.deactivate(subscription_id)
        except RasdError as exc:
            raise failed(exc) from exc
    console.print(f"ended {subscription_id}")


@notify_app.command("dead")
def notify_dead(store: StoreUrl = None) -> None:
    """The dead-letter list: messages given up after every retry."""
    with migrated_store(store) as s:
        rows, total = _notifier(s).outbox.page(status="dead", limit=1000)
    table = Table("id", "subscription", "kind", "service", "attempts", "last error")
    for d in rows:
        table.add_row(
            str(d.id), d.subscription_id, d.kind, d.service, str(d.attempts), d.last_error or ""
        )
    console.print(table)
    console.print(f"{total} dead")


@notify_app.command("replay")
def notify_replay(
    delivery_id: Annotated[int, typer.Argument(help="The id from `rasd notify dead`.")],
    store: StoreUrl = None,
) -> None:
    """Queue a dead message again; a running server sends it."""
    from rasd.errors import RasdError

    with migrated_store(store) as s:
        notifier = _notifier(s)
        try:
            now_ms = int(notifier.clock.now().timestamp() * 1000)
            notifier.outbox.replay(delivery_id, now_ms)
        except RasdError as exc:
            raise failed(exc) from exc
    console.print(f"queued {delivery_id} again")
