"""`rasd comments`: the moderator's queue from a shell, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from conftest import T0
from typer.testing import CliRunner

from rasd.cli import app
from rasd.clock import VirtualClock, minute_of
from rasd.comments import CommentBook
from rasd.series import POSTS, SeriesKey
from rasd.store import open_store


def test_list_approve_hide_delete(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rasd.db'}"
    store = open_store(url)
    store.migrate()
    book = CommentBook(store, VirtualClock(T0))
    link = book.add(service="whatsapp", text="[red]free[/red] at spam.example", network="a1")
    book.add(service="whatsapp", text="not working since this morning", network="a2")
    again = book.add(service="whatsapp", text="Not working since this morning!", network="a2")
    store.close()
    runner = CliRunner(env={"COLUMNS": "250"})

    listed = runner.invoke(app, ["comments", "list", "--store", url])
    assert listed.exit_code == 0, listed.output
    assert link.id in listed.output and again.id in listed.output
    assert "[red]free[/red]" in listed.output  # markup in a comment is shown as text
    assert "2 of 2 held" in listed.output

    approved = runner.invoke(app, ["comments", "approve", again.id, "--store", url])
    assert approved.exit_code == 0, approved.output
    assert "counted as a post" in approved.output
    twice = runner.invoke(app, ["comments", "approve", again.id, "--store", url])
    assert "counted" not in twice.output
    assert runner.invoke(app, ["comments", "hide", link.id, "--store", url]).exit_code == 0
    hidden = runner.invoke(app, ["comments", "list", "--state", "hidden", "--store", url])
    assert link.id in hidden.output
    assert runner.invoke(app, ["comments", "delete", link.id, "--store", url]).exit_code == 0
    missing = runner.invoke(app, ["comments", "delete", link.id, "--store", url])
    assert missing.exit_code == 2 and "no comment" in missing.output
    bad = runner.invoke(app, ["comments", "list", "--state", "lost", "--store", url])
    assert bad.exit_code == 2

    store = open_store(url)
    minute = minute_of(T0)
    assert store.total(SeriesKey("whatsapp", POSTS, "*"), minute - 1, minute + 1) == 1
    store.close()
