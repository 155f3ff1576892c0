from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rasd.signals.text.normalise import _table, normalise, single_letters, source_offsets


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("الْوَاتْسَابُ", "الواتساب"),  # diacritics
        ("واتـــساب", "واتساب"),  # tatweel
        ("أحمد إسلام آمن ٱلله", "احمد اسلام امن الله"),  # alef forms
        ("مؤتمر سائق", "موتمر سايق"),  # hamza on waw and yaa
        ("مشكلة", "مشكله"),  # taa marbuta
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("عطلااااان", "عطلان"),  # letter elongation
        ("ههههههه", "ه"),
        ("٣ ساعات", "3 ساعات"),  # Arabic-Indic digits
        ("هل هو واقف؟", "هل هو واقف?"),
        ("WhatsApp DOWN", "whatsapp down"),
        ("Störung à Zürich, ça marche pas", "storung a zurich, ca marche pas"),
        ("dooooown", "down"),
        ("#WhatsAppDown @Instagram", "#whatsappdown @instagram"),
        ("2000 users 100%", "2000 users 100%"),  # digits are never elongation
        ("down 😡😡😡", "down 😡😡😡"),  # emoji are signals: kept
        ("it’s", "it's"),
    ],
)
def test_normal_form(raw: str, normal: str) -> None:
    assert normalise(raw) == normal


def test_single_letters() -> None:
    assert single_letters("whatsapp") == "whatsap"
    assert single_letters("kaputt") == "kaput"
    assert single_letters("down") == "down"


@pytest.mark.parametrize(
    "raw", ["الْوَاتْسَابُ واقف", "واتـــساب عطلااان", "dooown İstanbul", "whatsapppp ok", "abc"]
)
def test_offsets_point_back_into_the_original(raw: str) -> None:
    norm = normalise(raw)
    offsets = source_offsets(raw)
    assert len(offsets) == len(norm) + 1
    assert offsets[-1] == len(raw)
    assert offsets == sorted(offsets)
    for i, ch in enumerate(norm):
        assert ch in normalise(raw[offsets[i]])


@given(st.text(max_size=60))
def test_offsets_match_the_normal_form_for_any_text(raw: str) -> None:
    norm = normalise(raw)
    offsets = source_offsets(raw)
    assert len(offsets) == len(norm) + 1
    for i, ch in enumerate(norm):
        assert ch in raw[offsets[i]].lower().translate(_table())
