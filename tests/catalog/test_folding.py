from __future__ import annotations

import pytest

from rasd.catalog.folding import fold


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("فيس بوك", "فيسبوك"),
        ("إنستغرام", "انستغرام"),
        ("أمازون", "امازون"),
        ("آي كلاود", "اي كلاود"),
        ("ٱلفا", "الفا"),  # alef wasla
        ("الاتصالات السعودية", "الاتصالات السعوديه"),  # taa marbuta
        ("سبوتيفاى", "سبوتيفاي"),  # alef maqsura
        ("مؤسسة", "موسسه"),
        ("فَيْسْبُوك", "فيسبوك"),
        ("فيـــسبوك", "فيسبوك"),
        ("ڤودافون", "فودافون"),
        ("Télécom", "telecom"),
        ("Straße", "strasse"),
        ("Ørsted", "orsted"),
        ("Xbox-Live", "xbox live"),
        ("مايكروسوفت ٣٦٥", "microsoft 365".replace("microsoft", "مايكروسوفت")),
        ("ＷｈａｔｓＡｐｐ", "whatsapp"),  # full-width forms
    ],
)
def test_spellings_meet(one: str, other: str) -> None:
    assert fold(one) == fold(other)
    assert fold(one)


@pytest.mark.parametrize(("one", "other"), [("e&", "e"), ("Disney+", "Disney"), ("جوجل", "قوقل")])
def test_different_names_stay_apart(one: str, other: str) -> None:
    assert fold(one) != fold(other)


def test_nothing_left() -> None:
    assert fold("  ...!؟ ") == ""
