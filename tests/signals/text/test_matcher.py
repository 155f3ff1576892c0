from __future__ import annotations

import pytest

from rasd.signals.text import AliasEntry, AliasMatcher, Mention, normalise


def _found(matcher: AliasMatcher, text: str) -> list[tuple[str, str]]:
    norm = normalise(text)
    return [(m.service, norm[m.start : m.end]) for m in matcher.find(norm)]


@pytest.mark.parametrize(
    ("text", "services"),
    [
        ("WhatsApp is down", ["whatsapp"]),
        ("whatsapp's servers", ["whatsapp"]),
        ("الواتساب واقف", ["whatsapp"]),
        ("والواتساب والفيسبوك", ["whatsapp", "facebook"]),
        ("بالواتساب", ["whatsapp"]),
        ("للواتس", ["whatsapp"]),
        ("#WhatsAppDown", ["whatsapp"]),
        ("#واتساب_واقف", ["whatsapp"]),
        ("@WhatsApp help", ["whatsapp"]),
        ("whatsapppp", ["whatsapp"]),  # elongated double letter
        ("newhatsappers", []),
        ("instagrammer", []),
        ("Facebook Messenger down", ["messenger"]),  # the longest alias wins
        ("facebook and messenger", ["facebook"]),
        ("at all", []),  # "ATT" has no single-letter form: it would be a word
    ],
)
def test_finds_services_on_word_boundaries(
    matcher: AliasMatcher, text: str, services: list[str]
) -> None:
    assert [service for service, _ in _found(matcher, text)] == services


def test_ambiguous_aliases_need_a_tag_or_context(matcher: AliasMatcher) -> None:
    assert _found(matcher, "x marks the spot") == []
    assert _found(matcher, "#fb") == [("facebook", "fb")]
    assert _found(matcher, "@x") == [("twitter", "x")]
    assert _found(matcher, "#xbox") == []
    # next to an unambiguous alias of the same service
    assert _found(matcher, "facebook aka fb") == [("facebook", "facebook"), ("facebook", "fb")]
    norm = normalise("is x down")
    assert matcher.find(norm, lambda start, end: norm[end:].strip().startswith("down")) == [
        Mention("twitter", "x", 3, 4)
    ]
    assert matcher.find(norm, lambda start, end: False) == []


def test_one_alias_for_two_services() -> None:
    matcher = AliasMatcher.from_entries(
        [AliasEntry("orange-eg", "Orange"), AliasEntry("orange-fr", "Orange")]
    )
    found = matcher.find(normalise("orange is down"))
    assert {m.service for m in found} == {"orange-eg", "orange-fr"}
    assert all((m.start, m.end) == (0, 6) for m in found)


def test_an_ambiguous_flag_holds_only_if_every_source_says_so() -> None:
    matcher = AliasMatcher.from_entries(
        [AliasEntry("signal", "signal", ambiguous=True), AliasEntry("signal", "Signal")]
    )
    assert matcher.find("signal") == [Mention("signal", "Signal", 0, 6)]


def test_empty_matcher_finds_nothing() -> None:
    matcher = AliasMatcher.from_entries([])
    assert matcher.aliases == 0
    assert matcher.find("whatsapp") == []


def test_from_catalog_reads_names_aliases_and_ambiguous_forms() -> None:
    class Service:
        id = "whatsapp"
        name = {"en": "WhatsApp", "ar": "واتساب"}
        aliases = {"en": ("Whats App",), "ar": ("الواتس",)}
        ambiguous_aliases = ("wa",)

    matcher = AliasMatcher.from_catalog([Service()])
    assert matcher.services == 1
    assert [m.service for m in matcher.find(normalise("whats app and واتساب and wa"))] == [
        "whatsapp",
        "whatsapp",
        "whatsapp",  # "wa" counts: the same service is named plainly as well
    ]
    assert matcher.find(normalise("wa")) == []
