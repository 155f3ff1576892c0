"""Hostile text: what is taken out of a comment, and what sends it to the moderator."""

from __future__ import annotations

import pytest

from rasd.comments import clean, fingerprint, has_link


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("\u202egpj.exe", "gpj.exe"),  # right-to-left override
        ("a\u202ab\u202cc\u2066d\u2069", "abcd"),  # embeddings and isolates
        ("li\u200bnk", "link"),  # zero-width space
        ("\ufeffstart", "start"),
        ("bell\x07 nul\x00 esc\x1b", "bell nul esc"),
        ("  many    spaces\t\there  ", "many spaces here"),
        ("one\n\n\n\n\ntwo", "one\n\ntwo"),
        ("crlf\r\nline", "crlf\nline"),
        ("می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ stays: Persian needs it
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # ZWJ stays: emoji need it
        ("واتساب\u200f واقف", "واتساب\u200f واقف"),  # RLM stays
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # drawn escaped, not cut
        ("\u200b\u202e \u2066", ""),
    ],
)
def test_invisible_and_direction_changing_characters_are_taken_out(raw: str, kept: str) -> None:
    assert clean(raw) == kept


@pytest.mark.parametrize(
    "text",
    [
        "see http://spam.example/x",
        "HTTPS://SPAM.EXAMPLE",
        "go to www.spam now",
        "spam.example/offer",
        "t.me/spamchannel",
        "ｓｐａｍ．ｅｘａｍｐｌｅ",  # full-width
        "spam . example",
        "موقع.مصر",
        "javascript://%0aalert(1)",
        "<a href=//evil.example>x</a>",
    ],
)
def test_links_in_their_disguises_are_found(text: str) -> None:
    assert has_link(text)


@pytest.mark.parametrize(
    "text",
    [
        "WhatsApp is down since 3.15 pm",
        "e.g. messages do not go out",
        "الواتس واقف من الساعة ٣",
        "Instagram ne marche plus !!!",
        "<script>alert(1)</script>",
    ],
)
def test_plain_complaints_are_not_links(text: str) -> None:
    assert not has_link(text)


def test_fingerprints_ignore_case_spacing_and_punctuation() -> None:
    assert fingerprint("Down here too!!!") == fingerprint("  down HERE, too")
    assert fingerprint("ｄｏｗｎ here too") == fingerprint("down here too")
    assert fingerprint("down here too") != fingerprint("down here")
