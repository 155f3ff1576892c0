from __future__ import annotations

import pytest

from rasd.signals.text.normalise import normalise
from rasd.signals.text.spelling import (
    bare,
    dropped_vowels,
    fits,
    folded,
    forms,
    skeleton,
    spelt_out,
    vowel_edits,
    vowel_slots,
    words,
)


def _skeleton(text: str) -> str:
    return skeleton(normalise(text))


def test_the_g_letters_fold_into_one_and_keep_positions() -> None:
    spellings = ["جوجل", "غوغل", "قوقل", "كوكل"]
    assert len({folded(s) for s in spellings}) == 1
    assert folded("#فيس_بوك") == "#فيس بوج"
    assert len(folded("انستغرام واقف")) == len("انستغرام واقف")


def test_a_dot_or_hyphen_between_arabic_letters_parts_words() -> None:
    assert folded(normalise("إس.إف.آر")) == "اس اف ار"
    assert folded("جوجل-بلاي") == "جوجل بلاي"
    # Elsewhere they stay: a Latin name, a number, the end of a sentence.
    assert folded("t-mobile xfinity.com 3.5") == "t-mobile xfinity.com 3.5"
    assert folded("شغال. تاني") == "شجال. تاني"


@pytest.mark.parametrize(
    ("spellings"),
    [
        ["تيليجرام", "تليجرام", "تلجرام", "تيلجرام", "تلغرام", "تيليغرام", "تلقرام"],
        ["فيسبوك", "فايسبوك", "فيسبك"],
        ["ماسنجر", "مسنجر", "ماسينجر", "ميسنجر"],
        ["إنستغرام", "انستقرام", "انستاجرام", "إنستاغرام", "انستكرام"],
    ],
)
def test_one_skeleton_for_the_vowels_written_or_not(spellings: list[str]) -> None:
    assert len({_skeleton(s) for s in spellings}) == 1


def test_the_skeleton_keeps_words_apart_and_drops_every_long_vowel() -> None:
    assert _skeleton("واتس اب") == "تس ب"
    assert _skeleton("#فيس_بوك") == "#فس بج"
    assert _skeleton("يوتيوب") == "تب"
    assert dropped_vowels("واتس") == [0, 1]


def test_the_article_comes_off_only_a_long_enough_word() -> None:
    assert bare("الواتساب") == "واتساب"
    assert bare("الفا") == "الفا"  # "Alfa": the alef and lam are the name's own


def test_vowel_edits_count_a_swap_as_two() -> None:
    assert vowel_edits("تلجرام", "تيليجرام") == 2
    assert vowel_edits("فايسبوك", "فيسبوك") == 1
    assert vowel_edits("تجتيج", "تيجتوج") == 3  # "tactic" against "TikTok", folded


def test_vowels_go_only_where_some_spelling_has_one() -> None:
    slots = vowel_slots([folded("فيسبوك"), folded("فيسبك")])
    assert fits(folded("فايسبوك"), slots)
    assert not fits(folded("فسيبق"), slots)  # "فسيبقى", "and it will stay"
    assert not fits(folded("فيسبوك بوك"), slots)


def test_words_split_camel_case_and_scripts() -> None:
    assert words("WhatsApp") == ["Whats", "App"]
    assert words("Face book") == ["Face", "book"]
    assert words("iCloud") == ["i", "Cloud"]
    assert words("Office365") == ["Office", "365"]


def test_forms_join_words_and_mix_scripts() -> None:
    made = set(forms("واتس اب", [["whats", "app"]]))
    assert made == {"واتساب", "واتس app", "whats اب"}
    # Short parts joined would make a common word: "بي تي" is not "بيتي", "my house".
    assert set(forms("بي تي")) == set()
    assert "فيسبوك" not in set(forms("فيس بوك", joins=False))
    assert list(forms("واتساب")) == []
    assert list(forms("whats app")) == []


def test_forms_write_letter_names_and_numbers_both_ways() -> None:
    # K and J end in a vowel written with ه or without; A's ه may go.
    assert set(forms("كي بي ان", joins=False)) == {"كيه بي ان"}
    assert "اي تي اند تي" in set(forms("ايه تي اند تي", joins=False))
    # Only in an acronym: "كي" in a longer name is a word of its own.
    assert not any("كيه" in f for f in forms("كي موبايل الكويت", joins=False))
    # English numbers in Arabic letters are also written as digits: "أو 2" is O2.
    assert "او 2" in set(forms("او تو", joins=False))


def test_acronyms_in_latin_letters_are_spelt_out() -> None:
    assert set(spelt_out("du")) == {"دي يو"}
    assert set(spelt_out("KPN")) == {"كي بي ان", "كيه بي ان"}
    assert "ايه تي تي" in set(spelt_out("ATT"))
    # A word in small letters is read as a word; one letter is no acronym.
    assert list(spelt_out("tim")) == []
    assert list(spelt_out("Zain")) == []
    assert list(spelt_out("x")) == []
