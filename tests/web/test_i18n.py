from babel.messages.pofile import read_po

from rasd.locale import LOCALE_DIR
from rasd.web import i18n


def test_every_string_of_the_pages_is_in_the_arabic_catalog() -> None:
    with (LOCALE_DIR / "ar" / "LC_MESSAGES" / "rasd.po").open("rb") as handle:
        arabic = read_po(handle, locale="ar")
    for key, message in i18n.STRINGS.items():
        entry = arabic.get(message)
        assert entry is not None and entry.string and not entry.fuzzy, key
    assert i18n.strings("ar")["nav_home"] == "الحالة الآن"
    assert i18n.strings("en")["switch_language"] == "العربية"
    assert i18n.strings("ar")["switch_language_label"] == "Read in English"
    assert set(i18n.CLIENT_KEYS) <= set(i18n.strings("en"))


def test_the_language_comes_from_the_query_then_the_cookie_then_the_browser() -> None:
    assert i18n.choose("ar", {"lang": "en"}, "en-US") == "ar"
    assert i18n.choose(None, {"lang": "ar"}, "en-US") == "ar"
    assert i18n.choose("xx", {}, "fr-FR, ar;q=0.8, en;q=0.5") == "ar"
    assert i18n.choose(None, {}, "en-GB, ar") == "en"
    assert i18n.choose(None, {}, "ar-EG, en;q=0.9") == "ar"
    assert i18n.choose(None, {}, "de-DE") == "en"
    assert i18n.choose(None, {}, "ar;q=0, en;q=0.1") == "en"
    assert i18n.choose(None, {}, None) == "en"


def test_numbers_are_written_as_the_locale_writes_them() -> None:
    assert i18n.number(1234567, "en") == "1,234,567"
    assert i18n.number(1234567, "ar") == "١٬٢٣٤٬٥٦٧"
    assert i18n.number(2.5, "ar", 1) == "٢٫٥"
