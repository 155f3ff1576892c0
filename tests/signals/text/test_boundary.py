from __future__ import annotations

import pytest

from rasd.signals.text.boundary import left_ok, right_ok, tag_edge_ok, tag_of, tag_spans


@pytest.mark.parametrize(
    ("text", "start", "ok"),
    [
        ("واتساب", 0, True),
        ("والواتساب", 3, True),  # و + ال
        ("بالواتساب", 3, True),  # ب + ال
        ("فالواتساب", 3, True),
        ("للواتساب", 2, True),  # ل + ال, written لل
        ("وواتساب", 1, True),
        ("مواتساب", 1, False),  # م is no clitic
        ("بلاواتساب", 3, False),
        ("the whatsapp", 4, True),
        ("newhatsapp", 2, False),
        ("#whatsapp", 1, True),
    ],
)
def test_left_boundary(text: str, start: int, ok: bool) -> None:
    assert left_ok(text, start) is ok


@pytest.mark.parametrize(
    ("text", "end", "ok"),
    [
        ("واتساب واقف", 6, True),
        ("واتسابي", 6, True),  # possessive ending
        ("واتسابنا", 6, True),
        ("واتسابتي", 6, False),
        ("whatsapp's", 8, True),
        ("whatsappdown", 8, False),
        ("down", 4, True),
    ],
)
def test_right_boundary(text: str, end: int, ok: bool) -> None:
    assert right_ok(text, end) is ok


def test_tags() -> None:
    text = "ugh #whatsapp_down and @meta"
    spans = tag_spans(text)
    assert spans == [(5, 18), (24, 28)]
    assert tag_of(spans, 5, 13) == (5, 18)
    assert tag_of(spans, 0, 3) is None
    assert tag_edge_ok(text, (5, 18), 5, 13)  # at the start of the tag
    assert tag_edge_ok(text, (5, 18), 14, 18)  # after the underscore, at the end
    assert not tag_edge_ok("#abcdefgh", (1, 9), 3, 6)  # in the middle of a word
    assert tag_spans("no tags here") == []
