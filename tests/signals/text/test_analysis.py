from __future__ import annotations

import pytest

from rasd.signals.text import Analyser, analyse, classify


def test_positions_index_the_original_text(analyser: Analyser) -> None:
    text = "والْوَاتْسَاب عطلااان"
    (mention,) = analyser.analyse(text).mentions
    assert text[mention.start : mention.end] == "وَاتْسَاب"  # the article is a clitic
    text = "ugh WHATSAPPPP down"
    (mention,) = analyser.analyse(text).mentions
    assert text[mention.start : mention.end] == "WHATSAPPPP"
    assert mention.alias == "WhatsApp"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("الواتس واقف", "ar"),
        ("el whatsapp 3atlan 3andi", "ar"),
        ("WhatsApp is not working for me", "en"),
        ("WhatsApp ne marche pas chez moi", "fr"),
        ("WhatsApp geht bei mir nicht mehr", "de"),
        ("WhatsApp werkt niet bij mij", "nl"),
        ("😡😡", "und"),
    ],
)
def test_language(analyser: Analyser, text: str, language: str) -> None:
    assert analyser.analyse(text).language == language


def test_module_functions_use_the_catalog() -> None:
    result = analyse("WhatsApp and Instagram are down")
    assert set(result.services) == {"whatsapp", "instagram"}
    assert classify("is Facebook down?") == "question"
    assert classify("") == "other"


@pytest.mark.parametrize(
    "text",
    [
        "WhatsApp is back, but Instagram is still down",
        "is x down?",
        "x marks the spot",
        "nothing to see here",
        "الواتس مش واقف",
    ],
)
def test_service_labels_agree_with_analyse(analyser: Analyser, text: str) -> None:
    assert analyser.service_labels(text) == analyser.analyse(text).services
