"""The matcher against spellings read in public pages (tests/signals/text/data), and against
the most frequent Arabic words, which must not be taken for services."""

from __future__ import annotations

from pathlib import Path

import pytest

from rasd.catalog import default_catalog
from rasd.signals.text import analyse, normalise
from rasd.signals.text.analysis import default_analyser
from rasd.signals.text.spelling import folded

_DATA = Path(__file__).parent / "data" / "arabic_spellings.tsv"
_QUOTES = '"«»“”'

# Read in a page, not found: each needs a rule the matcher does not have, and says which.
KNOWN_MISSES = {
    # Two letters swapped: no fold undoes a transposition.
    ("twitter", "توتير"),
    ("batelco", "(بتكلو)"),
    # A vowel added to a name that is ambiguous, which gets no skeleton: "اورنج" is a colour.
    ("orange-ma", "أورونج"),
    # A vowel added to a name whose skeleton (كيوتل: ك ت ل) is too short to be looked for.
    ("ooredoo-qa", "كيوتيل"),
    # A vowel dropped from an ambiguous name ("تي موبايل" is two services'): no skeleton.
    ("t-mobile-us", "تي-موبيل"),
    # "th" heard as one sound and written ث (جيت هب as جيثب): no fold makes two letters one.
    ("github", "جيثب"),
    # Written apart where every listed form is one word: nothing says where to split.
    ("outlook", "آوت لوك"),
    ("apple-music", "آي تيونز"),
    # The singular is also the dish ثريد: only an ambiguous alias of its own could take it.
    ("threads", "ثريد"),
}


def _spellings() -> list[tuple[str, str, str]]:
    rows = []
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        service, spelling, source = line.split("\t")
        rows.append((service, spelling, source))
    return rows


def test_every_row_has_a_known_service_and_a_source() -> None:
    ids = {s.id for s in default_catalog()}
    rows = _spellings()
    assert len(rows) > 100
    for service, spelling, source in rows:
        assert service in ids, service
        assert spelling.strip() and source.startswith("http"), (service, spelling)


def test_every_service_with_a_spelling_from_pages_is_in_the_catalog_with_an_arabic_name() -> None:
    named = {s.id for s in default_catalog() if s.name.get("ar")}
    assert {service for service, _, _ in _spellings()} <= named


def test_the_spellings_people_write_are_found() -> None:
    # An outage cue beside each, as in a post: ambiguous names ("تاتش") count with one.
    missed = []
    for service, spelling, _ in _spellings():
        found = {m.service for m in analyse(f"{spelling} لا يعمل").mentions}
        if service not in found:
            missed.append((service, spelling.strip(_QUOTES)))
    assert set(missed) <= KNOWN_MISSES, missed


def test_the_spellings_found_are_not_a_listed_alias_each() -> None:
    """The rules do the work: most spellings read in pages are in no alias list."""
    listed: set[str] = set()
    for service in default_catalog():
        for forms in service.aliases.values():
            listed.update(folded(normalise(f)) for f in forms)
        listed.update(folded(normalise(n)) for n in service.name.values())
    words = {folded(normalise(s)).strip(_QUOTES + "#") for _, s, _ in _spellings()}
    assert len(words - listed) >= 40


# Frequent words that fold onto a name: people's names, not common words.
_NAME_LOOKALIKES = {"كيزي", "زيكو"}


def test_no_frequent_arabic_word_is_taken_for_a_service() -> None:
    wordfreq = pytest.importorskip("wordfreq")
    matcher = default_analyser().matcher
    listed: dict[str, set[str]] = {}
    for service in default_catalog():
        forms = [f for fs in service.aliases.values() for f in fs] + list(service.name.values())
        for form in forms:
            listed.setdefault(service.id, set()).add(folded(normalise(form)))
    wrong = []
    for word in wordfreq.top_n_list("ar", 100_000):
        norm = normalise(word)
        for mention in matcher.find(norm):
            written = folded(norm[mention.start : mention.end])
            if written not in listed[mention.service] and norm not in _NAME_LOOKALIKES:
                wrong.append((word, mention.service))
    assert wrong == []


@pytest.mark.parametrize(
    "text",
    [
        "منظر جميل والجو رائع",  # "beautiful": the skeleton of جيميل (Gmail)
        "الخطوة التالية لا تعمل",  # "next": the article and التلي (Telegram)
        "التوتر بين البلدين",  # "tension": التويتر without its vowels
        "تكتيك المدرب لا يعمل",  # "tactic": تيكتوك with its vowels moved
        "نشر الخبر في سبق صحفي",  # "in a scoop": فيس بوك across two words
        "فسيبقى الوضع كما هو",  # "and it will stay": فيسبوك with a vowel out of place
        "رجعت بيتي والنت مقطوع",  # "my house": بي تي (BT) joined
        "الجلد والجليد",  # skeletons of الايكلاود (iCloud)
        "التيس في المزرعة",  # "the goat": الواتس with its vowels dropped
        "الإيرادات والواردات",  # الريديت (Reddit) with the article
        "حفل الفنانة أنغام الليلة",  # the singer, not أنغامي (Anghami)
        "التواتر في الأخبار",  # "frequency": تويتر with a vowel moved, too short to be read so
    ],
)
def test_common_words_that_look_like_names_are_not_services(text: str) -> None:
    assert analyse(text).mentions == []


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("واتس app واقف", "whatsapp"),  # mixed scripts
        ("الفيس book مش شغال", "facebook"),
        ("#فيسبوك_معطل", "facebook"),
        ("#IsWhatsAppDownAgain", "whatsapp"),  # CamelCase words in a tag
        ("#فيس_بوك", "facebook"),  # the words of a name between underscores
        ("عالواتساب ما في شي", "whatsapp"),  # spoken "على ال"
        ("وبالانستقرام كمان", "instagram"),  # و + ب + ال
        ("قوقل ماب ما يفتح", "google-maps"),
        ("الانستـــغرام واقف", "instagram"),  # tatweel
        ("الْوَاتْسَابْ واقف", "whatsapp"),  # diacritics
        ("تيليگرام", "telegram"),  # Persian gaf
        ("مايكروسوفت ٣٦٥ لا يعمل", "microsoft-365"),  # Arabic-Indic digits
        ("إس.إف.آر لا يعمل", "sfr"),  # letters parted by dots
        ("عطل جوجل-بلاي", "google-play"),  # words parted by a hyphen
        ("كيه بي إن واقفة", "kpn"),  # K's name with its ه
        ("عطل دي يو اليوم", "du"),  # a Latin acronym spelt out (ambiguous: a cue beside it)
        ("شبكة أو 2 لا تعمل", "o2-de"),  # a number word as a digit
    ],
)
def test_spellings_from_the_rules(text: str, service: str) -> None:
    assert service in {m.service for m in analyse(text).mentions}
