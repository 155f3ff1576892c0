from rasd.correlate.titles import (
    country_name,
    join_names,
    log_text,
    outage_title,
    owner_name,
    regional_title,
    service_name,
)

from .fixtures import catalog


def test_names_from_the_catalog() -> None:
    cat = catalog()
    assert service_name(cat, "whatsapp", "ar") == "واتساب"
    assert service_name(cat, "whatsapp", "fr") == "WhatsApp"
    assert service_name(cat, "unknown-thing", "en") == "unknown-thing"
    assert owner_name(cat, "meta", "ar") == "ميتا"
    assert owner_name(cat, "nobody", "en") == "nobody"


def test_country_names() -> None:
    assert country_name("EG", "en") == "Egypt"
    assert country_name("EG", "ar") == "مصر"
    assert country_name("ZZ", "en") == "ZZ"


def test_lists_are_cut_with_a_count() -> None:
    names = ["A", "B", "C", "D"]
    assert join_names(names, "en", 5) == "A, B, C, D"
    assert join_names(names, "en", 2) == "A, B and 2 more"
    assert join_names(names, "ar", 2) == "A، B و2 غيرها"
    assert join_names(names, "en", 0) == "A, B, C, D"


def test_titles() -> None:
    assert outage_title("Meta", ["Facebook", "Instagram"], "en", 5) == "Meta: Facebook, Instagram"
    assert outage_title(None, ["Spotify"], "en", 5) == "Spotify"
    assert regional_title("مصر", ["وي"], "ar", 5) == "انقطاع الشبكة في مصر: وي"
    assert regional_title("Egypt", ["WE"], "en", 5) == "Network outage in Egypt: WE"


def test_log_lines_exist_in_both_languages() -> None:
    for kind in ("opened", "recovering", "resolved", "cause", "cause_again", "cause_ended"):
        en = log_text(kind, "en", names="X", what="Y")
        ar = log_text(kind, "ar", names="X", what="Y")
        assert en and ar and en != ar
