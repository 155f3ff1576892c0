from __future__ import annotations

from pathlib import Path

from conftest import T0
from typer.testing import CliRunner

from rasd.catalog import load_catalog
from rasd.cli import app
from rasd.clock import VirtualClock
from rasd.notify.notifier import Notifier
from rasd.store import open_store


def test_notify_list_tells_waiting_subscriptions_from_active_ones(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rasd.db'}"
    store = open_store(url)
    store.migrate()
    notifier = Notifier(store, load_catalog(), VirtualClock(T0), public_url="http://rasd.test")
    subs = notifier.subscriptions
    made = subs.create(channel="webhook", target="https://a.example/hook", scope_kind="all")
    asked = notifier.ask(
        subs.new(
            channel="webhook",
            target="https://b.example/hook",
            scope_kind="service",
            scope_value="facebook",
            active=False,
        )
    )
    ended = subs.create(channel="webhook", target="https://c.example/hook")
    subs.deactivate(ended.id)
    store.close()
    runner = CliRunner(env={"COLUMNS": "200"})

    shown = runner.invoke(app, ["notify", "list", "--store", url])
    assert shown.exit_code == 0, shown.output
    rows = {line.split()[1]: line for line in shown.output.splitlines() if line.count("│") > 3}
    assert "active" in rows[made.id]
    waits = rows[asked.subscription.id]
    assert "pending" in waits and "2021-10-06T12:00" in waits  # 48 hours after asking
    assert ended.id not in rows
    assert "1 active, 1 waiting for confirmation, 1 ended" in shown.output

    waiting = runner.invoke(app, ["notify", "list", "--pending", "--store", url])
    assert asked.subscription.id in waiting.output and made.id not in waiting.output
    every = runner.invoke(app, ["notify", "list", "--all", "--store", url])
    assert ended.id in every.output and "3 shown" in every.output
