from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from rasd.clock import minute_of
from rasd.series import POSTS, RECOVERY_POSTS, SeriesKey
from rasd.signals.posts import Post, PostCounter, PostParseError, parse_posts_jsonl
from rasd.signals.text import AliasEntry, AliasMatcher, Analyser
from rasd.signals.text.classifier import Label

T = datetime(2021, 10, 4, 15, 45, 30, tzinfo=UTC)


def _line(**fields: object) -> str:
    row: dict[str, object] = {
        "id": "p1",
        "text": "WhatsApp is down",
        "created": "2021-10-04T15:45:30Z",
        "author": "a1",
    }
    row.update(fields)
    return orjson.dumps({k: v for k, v in row.items() if v is not None}).decode()


def test_parses_posts_and_canonicalises_them() -> None:
    posts, errors = parse_posts_jsonl(
        [
            _line(),
            _line(id="p2", created="2021-10-04T17:45:30+02:00", country="eg", city="Cairo"),
            _line(id="p3", lang="ar", country="SA").encode(),
        ]
    )
    assert errors == []
    assert [p.id for p in posts] == ["p1", "p2", "p3"]
    assert posts[0] == Post(id="p1", text="WhatsApp is down", created=T, author="a1")
    assert posts[1].created == T and posts[1].created.tzinfo is UTC
    assert (posts[1].country, posts[1].city) == ("EG", "Cairo")
    assert posts[2].lang == "ar"


def test_duplicates_are_ignored_and_bad_lines_reported_by_number() -> None:
    lines = [
        _line(),
        "",
        "{not json",
        _line(),  # the same id again
        _line(id="p2", created="2021-10-04T15:45:30"),  # no timezone
        _line(id="p3", text=""),
        _line(id="p4", country="ZZ"),
        _line(id="p5", city="Cairo"),  # a city without its country
        _line(id="p6", author=7),
        '["a list"]',
        _line(id="p7"),
    ]
    posts, errors = parse_posts_jsonl(lines)
    assert [p.id for p in posts] == ["p1", "p7"]
    assert [e.line for e in errors] == [3, 5, 6, 7, 8, 9, 10]
    assert all(isinstance(e, PostParseError) and e.reason for e in errors)
    assert "country" in errors[3].reason
    assert "author" in errors[5].reason


def test_a_bad_line_does_not_take_its_id() -> None:
    posts, errors = parse_posts_jsonl([_line(country="ZZ"), _line()])
    assert [p.id for p in posts] == ["p1"] and len(errors) == 1


@pytest.fixture(scope="module")
def counter() -> PostCounter:
    matcher = AliasMatcher.from_entries(
        [AliasEntry("whatsapp", "WhatsApp"), AliasEntry("instagram", "Instagram")]
    )
    return PostCounter(matcher)


def test_counts_per_series_and_minute(counter: PostCounter) -> None:
    minute = minute_of(T)
    posts = [
        Post("1", "WhatsApp is down", T, "a"),
        Post("2", "is WhatsApp down?", T, "b", country="EG"),
        Post("3", "WhatsApp down in Cairo", T, "c", country="EG", city="Cairo"),
        Post("4", "WhatsApp is back, but Instagram is still down", T, "d"),
        Post("5", "WhatsApp stock is down", T, "e"),  # a look-alike: not counted
        Post("6", "nothing about any service", T, "f"),
        Post("7", "WhatsApp down, WhatsApp down!", T, "g"),  # one post, one count
    ]
    counts = counter.count(posts)
    assert counts == {
        (SeriesKey("whatsapp", POSTS, "*"), minute): 4,
        (SeriesKey("whatsapp", POSTS, "EG"), minute): 2,
        (SeriesKey("whatsapp", POSTS, "EG/Cairo"), minute): 1,
        (SeriesKey("whatsapp", RECOVERY_POSTS, "*"), minute): 1,
        (SeriesKey("instagram", POSTS, "*"), minute): 1,
    }


def test_minutes_are_counted_apart(counter: PostCounter) -> None:
    later = datetime(2021, 10, 4, 15, 46, 0, tzinfo=UTC)
    counts = counter.count(
        [Post("1", "WhatsApp down", T, "a"), Post("2", "WhatsApp down", later, "b")]
    )
    key = SeriesKey("whatsapp", POSTS, "*")
    assert counts == {(key, minute_of(T)): 1, (key, minute_of(T) + 1): 1}


def test_counter_takes_an_analyser() -> None:
    analyser = Analyser(AliasMatcher.from_entries([AliasEntry("whatsapp", "WhatsApp")]))
    counts = PostCounter(analyser).count([Post("1", "WhatsApp werkt weer", T, "a")])
    assert counts == {(SeriesKey("whatsapp", RECOVERY_POSTS, "*"), minute_of(T)): 1}


def test_a_comment_counts_for_the_service_it_was_written_on(counter: PostCounter) -> None:
    minute = minute_of(T)
    posts = [
        Post("c1", "down since noon, messages do not go out", T, "n", service="whatsapp"),
        Post("c2", "مش شغال خالص", T, "n", country="EG", service="whatsapp"),
        Post("c3", "works fine for me", T, "n", service="whatsapp"),  # not a complaint
        Post("c4", "Instagram is down", T, "n", service="whatsapp"),  # about Instagram
    ]
    counts = counter.count(posts)
    assert counts == {
        (SeriesKey("whatsapp", POSTS, "*"), minute): 2,
        (SeriesKey("whatsapp", POSTS, "EG"), minute): 1,
        (SeriesKey("instagram", POSTS, "*"), minute): 1,
    }


class _CountingAnalyser(Analyser):
    """The real analyser, counting how often it reads a text."""

    def __init__(self, matcher: AliasMatcher) -> None:
        super().__init__(matcher)
        self.reads = 0

    def service_labels(self, text: str) -> dict[str, Label]:
        self.reads += 1
        return super().service_labels(text)


def test_a_text_seen_again_is_read_once_and_counts_the_same() -> None:
    analyser = _CountingAnalyser(AliasMatcher.from_entries([AliasEntry("whatsapp", "WhatsApp")]))
    counter = PostCounter(analyser)
    posts = [
        Post(str(i), "WhatsApp is down" if i % 2 else "WhatsApp is back", T, "a", country="EG")
        for i in range(10)
    ]
    first = counter.count(posts)
    again = counter.count(posts)
    assert (
        first
        == again
        == {
            (SeriesKey("whatsapp", POSTS, "*"), minute_of(T)): 5,
            (SeriesKey("whatsapp", POSTS, "EG"), minute_of(T)): 5,
            (SeriesKey("whatsapp", RECOVERY_POSTS, "*"), minute_of(T)): 5,
            (SeriesKey("whatsapp", RECOVERY_POSTS, "EG"), minute_of(T)): 5,
        }
    )
    assert analyser.reads == 2  # two texts, each read once over twenty posts
    # a long text is read every time rather than kept
    long = "WhatsApp is down " + "x" * 2_000
    counter.count([Post("l1", long, T, "a"), Post("l2", long, T, "b")])
    assert analyser.reads == 4
