import pytest

from rasd.correlate.titles import LOG_KINDS, log_line, network_title, outage_title, regional_title
from rasd.locale import words
from rasd.locale.phrases import CatalogNames, codes, country_name, join_names
from rasd.phrase import Phrase

from .fixtures import catalog, say


def test_names_from_the_catalog() -> None:
    names = CatalogNames(catalog())
    assert names.service("whatsapp", "ar") == "واتساب"
    assert names.service("whatsapp", "fr") == "WhatsApp"
    assert names.service("unknown-thing", "en") == "unknown-thing"
    assert names.owner("meta", "ar") == "ميتا"
    assert names.owner("nobody", "en") == "nobody"


def test_country_names() -> None:
    assert country_name("EG", "en") == "Egypt"
    assert country_name("EG", "ar") == "مصر"
    assert country_name("EG", "fr") == "Égypte"
    assert country_name("ZZ", "en") == "ZZ"


def test_lists_are_cut_with_a_count() -> None:
    names = ["A", "B", "C", "D"]
    assert join_names(words("en"), names, 5) == "A, B, C, D"
    assert join_names(words("en"), names, 2) == "A, B and 2 more"
    assert join_names(words("ar"), names, 2) == "A، B و2 غيرها"
    assert join_names(words("en"), names, 0) == "A, B, C, D"


def test_titles_are_codes_with_ids_said_in_each_language() -> None:
    title = outage_title("meta", ["facebook", "instagram"], 5)
    assert title == Phrase(
        "title.outage", {"owner": "meta", "services": ("facebook", "instagram"), "shown": 5}
    )
    assert say(title) == "Meta: Facebook, Instagram"
    assert say(title, "ar") == "ميتا: فيسبوك، إنستغرام"
    assert say(outage_title(None, ["spotify"], 5)) == "Spotify"
    assert say(regional_title("EG", ["we"], 5), "ar") == "انقطاع الشبكة في مصر: وي"
    assert say(regional_title("EG", ["we"], 5)) == "Network outage in Egypt: WE"
    network = network_title("Vodafone Egypt, AS24835", ["we"], 5)
    assert say(network) == "Network outage at Vodafone Egypt, AS24835: WE"
    assert Phrase.from_dict(title.to_dict()) == title


def test_log_lines_exist_in_both_languages() -> None:
    for kind in sorted(LOG_KINDS):
        line = log_line(kind, ["facebook"], what="Y", country="EG")
        assert line.code in codes()
        en, ar = say(line), say(line, "ar")
        assert en and ar and en != ar
    with pytest.raises(ValueError):
        log_line("exploded", ["facebook"])
