"""Comments kept on both databases: screened, listed newest first, moderated, pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rasd.clock import VirtualClock
from rasd.comments import CommentBook
from rasd.store import Store

T0 = datetime(2021, 10, 4, 15, 50, tzinfo=UTC)


def _book(store: Store) -> tuple[CommentBook, VirtualClock]:
    clock = VirtualClock(T0)
    return CommentBook(store, clock, repeat_hours=24), clock


def test_shown_newest_first_with_pages(store: Store) -> None:
    book, clock = _book(store)
    for i in range(5):
        book.add(service="whatsapp", text=f"message {i} not sent", network="n1")
        clock.advance(timedelta(seconds=30))
    book.add(service="facebook", text="feed empty", network="n1")
    rows, total = book.shown("whatsapp", limit=2)
    assert total == 5
    assert [c.text for c in rows] == ["message 4 not sent", "message 3 not sent"]
    later, _ = book.shown("whatsapp", limit=2, offset=4)
    assert [c.text for c in later] == ["message 0 not sent"]
    assert rows[0].created == T0 + timedelta(seconds=120)


def test_links_and_repeats_are_held(store: Store) -> None:
    book, clock = _book(store)
    assert book.add(service="whatsapp", text="see spam.example", network="n1").reason == "link"
    first = book.add(service="whatsapp", text="Down here too", network="n1")
    assert first.state == "shown"
    again = book.add(service="facebook", text="down HERE too!", network="n1")
    assert (again.state, again.reason) == ("held", "repeated")
    # short texts from other networks are what many people say at once
    assert book.add(service="whatsapp", text="down here too", network="n2").state == "shown"
    long = "Cheap followers for your account, write to me now please"
    states = [book.add(service="x", text=long, network=f"m{i}").state for i in range(4)]
    assert states == ["shown", "shown", "held", "held"]
    clock.advance(timedelta(hours=25))
    assert book.add(service="whatsapp", text="down here too", network="n1").state == "shown"
    held, total = book.queue()
    assert total == 4
    assert {c.reason for c in held} == {"link", "repeated"}


def test_moderation_shows_hides_deletes(store: Store) -> None:
    book, _ = book_and_clock = _book(store)
    held = book.add(service="whatsapp", text="look at www.spam.example", network="n1")
    assert book.shown("whatsapp")[1] == 0
    shown, newly = book.decide(held.id, "shown")
    assert newly and shown.state == "shown" and shown.decided_ms is not None
    assert [c.id for c in book.shown("whatsapp")[0]] == [held.id]
    _, again = book.decide(held.id, "shown")
    assert not again  # counted once
    hidden, _ = book.decide(held.id, "hidden")
    assert book.shown("whatsapp")[1] == 0
    assert book.queue(state="hidden")[0][0].id == hidden.id
    assert book.delete(held.id).id == held.id
    assert book.queue(state="hidden")[1] == 0
    assert book_and_clock[1] is not None


def test_unknown_comment_is_not_found(store: Store) -> None:
    book, _ = _book(store)
    for action in (
        lambda: book.get("nope"),
        lambda: book.decide("nope", "shown"),
        lambda: book.delete("nope"),
    ):
        try:
            action()
        except Exception as exc:
            assert getattr(exc, "code", None) == "not_found"
        else:
            raise AssertionError("no error")


def test_old_comments_go(store: Store) -> None:
    book, clock = _book(store)
    book.add(service="whatsapp", text="old one", network="n1")
    clock.advance(timedelta(days=10))
    book.add(service="whatsapp", text="new one", network="n1")
    assert book.prune(keep_days=7) == 1
    assert [c.text for c in book.shown("whatsapp")[0]] == ["new one"]


def test_hostile_text_is_kept_as_it_came(store: Store) -> None:
    book, _ = _book(store)
    text = "<img src=x onerror=alert(1)>\"'&" + "و" * 200
    kept = book.add(service="whatsapp", text=text, network="n1")
    assert book.get(kept.id).text == text
