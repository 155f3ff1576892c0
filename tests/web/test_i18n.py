from rasd.web import i18n


def test_every_string_exists_in_english_and_arabic() -> None:
    for key, value in i18n.STRINGS.items():
        assert set(value) == {"en", "ar"}, key
        assert value["en"].strip() and value["ar"].strip(), key
        fields_en = {
            f for f in ("{name}", "{time}", "{n}", "{x}", "{h}", "{m}") if f in value["en"]
        }
        fields_ar = {
            f for f in ("{name}", "{time}", "{n}", "{x}", "{h}", "{m}") if f in value["ar"]
        }
        assert fields_en == fields_ar, key
    assert set(i18n.CLIENT_KEYS) <= set(i18n.strings("en"))


def _fields(text: str) -> set[str]:
    return {f for f in ("{name}", "{time}", "{n}", "{x}", "{h}", "{m}") if f in text}


def test_the_language_comes_from_the_query_then_the_cookie_then_the_browser() -> None:
    assert i18n.choose("ar", {"lang": "en"}, "en-US") == "ar"
    assert i18n.choose(None, {"lang": "ar"}, "en-US") == "ar"
    assert i18n.choose("xx", {}, "fr-FR, ar;q=0.8, en;q=0.5") == "ar"
    assert i18n.choose(None, {}, "en-GB, ar") == "en"
    assert i18n.choose(None, {}, "ar-EG, en;q=0.9") == "ar"
    assert i18n.choose(None, {}, "de-DE") == "en"
    assert i18n.choose(None, {}, "ar;q=0, en;q=0.1") == "en"
    assert i18n.choose(None, {}, None) == "en"


def test_the_region_of_the_browser_language_defaults_the_country() -> None:
    assert i18n.region_of("ar-EG,ar;q=0.9") == "EG"
    assert i18n.region_of("zh-Hant-TW") == "TW"
    assert i18n.region_of("en") is None


def test_numbers_are_written_as_the_locale_writes_them() -> None:
    assert i18n.number(1234567, "en") == "1,234,567"
    assert i18n.number(1234567, "ar") == "١٬٢٣٤٬٥٦٧"
    assert i18n.number(2.5, "ar", 1) == "٢٫٥"
