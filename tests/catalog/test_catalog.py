from __future__ import annotations

import pytest

from rasd.catalog import Catalog, Owner, ProblemType, Service, load_catalog
from rasd.errors import NotFound


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _ids(found: list[Service]) -> list[str]:
    return [s.id for s in found]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("واتس", "whatsapp"),
        ("whats", "whatsapp"),
        ("WhatsApp", "whatsapp"),
        ("واتس آب", "whatsapp"),
        ("واتساب", "whatsapp"),
        ("الواتس", "whatsapp"),
        ("فيس بوك", "facebook"),
        ("فيسبوك", "facebook"),
        ("فيسبـــوك", "facebook"),  # tatweel
        ("فَيْسْبُوك", "facebook"),  # diacritics
        ("insta", "instagram"),
        ("انستقرام", "instagram"),
        ("انستغرام", "instagram"),
        ("انستجرام", "instagram"),
        ("إنستغرام", "instagram"),
        ("تويتر", "twitter"),
        ("x", "twitter"),
        ("تيك توك", "tiktok"),
        ("تلغرام", "telegram"),
        ("تيليجرام", "telegram"),
        ("اليوتيوب", "youtube"),
        ("قوقل", "google"),
        ("غوغل", "google"),
        ("جوجل", "google"),
        ("hotmail", "outlook"),
        ("maroc telecom", "maroc-telecom"),
        ("MAROC TÉLÉCOM", "maroc-telecom"),
        ("Bouygues Télécom", "bouygues-telecom"),
        ("méditel", "orange-ma"),
        ("telefonica deutschland", "o2-de"),
        ("الاتصالات السعودية", "stc"),
        ("الإتصالات السعودية", "stc"),  # hamza on the alef
        ("آسيا سيل", "asiacell"),
        ("شبكة بلايستيشن", "playstation-network"),
        ("disney+", "disney-plus"),
        ("AT&T", "att"),
        ("netflix", "netflix"),
        ("oculus", "oculus"),
        ("deutsche-telekom", "deutsche-telekom"),
    ],
)
def test_find_puts_the_right_service_first(catalog: Catalog, query: str, first: str) -> None:
    found = catalog.find(query)
    assert found, query
    assert found[0].id == first


def test_find_ranks_exact_then_prefix_then_substring(catalog: Catalog) -> None:
    found = _ids(catalog.find("google"))
    assert found[0] == "google"  # exact alias
    assert set(found[1:]) >= {"gmail", "google-drive", "google-cloud"}  # "Google Mail", ...
    # the kind of match outranks popularity
    by_hand = Catalog(
        [
            _service("substring", "My Chat", 0.9),
            _service("prefix", "Chatter", 0.5),
            _service("exact", "Chat", 0.1),
        ]
    )
    assert _ids(by_hand.find("chat")) == ["exact", "prefix", "substring"]
    assert _ids(by_hand.find("CHAT", limit=1)) == ["exact"]


def test_find_breaks_ties_by_popularity(catalog: Catalog) -> None:
    zain = catalog.find("zain")
    assert {s.id for s in zain[:4]} == {"zain-sa", "zain-kw", "zain-iq", "zain-jo"}
    popularity = [s.popularity for s in zain[:4]]
    assert popularity == sorted(popularity, reverse=True)
    meta = _ids(catalog.find("meta"))
    assert meta[0] == "facebook"  # exact for several: the most popular wins


def test_find_limits_and_ignores_empty_queries(catalog: Catalog) -> None:
    assert len(catalog.find("a", limit=3)) == 3
    assert catalog.find("") == []
    assert catalog.find("  ؟!  ") == []
    assert catalog.find("whats", limit=0) == []
    assert catalog.find("no such thing anywhere") == []


def test_get_and_mapping_behaviour(catalog: Catalog) -> None:
    assert catalog.get("facebook").name["ar"] == "فيسبوك"
    assert "facebook" in catalog and "myspace" not in catalog
    assert [s.id for s in catalog][:3] == ["facebook", "instagram", "whatsapp"]
    assert len(catalog) == len(catalog.services) == len(list(catalog))
    with pytest.raises(NotFound) as caught:
        catalog.get("myspace")
    assert caught.value.status == 404
    assert caught.value.details == [
        {"field": "service", "reason": "unknown service", "value": "myspace"}
    ]


def test_names_in_each_language(catalog: Catalog) -> None:
    assert catalog.problem_name("login", "en") == "Login"
    assert catalog.problem_name("login", "ar") == "تسجيل الدخول"
    assert catalog.problem_name("login", "sw") == "Login"  # falls back to English
    with pytest.raises(NotFound):
        catalog.problem_name("boredom", "en")
    assert catalog.owner_name("meta", "ar") == "ميتا"
    assert catalog.category_name("social", "ar") == "التواصل الاجتماعي"
    assert catalog.get("whatsapp").display_name("ar") == "واتساب"
    assert catalog.get("whatsapp").display_name("ja") == "WhatsApp"


def test_queries_by_owner_category_and_country(catalog: Catalog) -> None:
    assert {s.id for s in catalog.by_owner("alphabet")} >= {"google", "youtube", "gmail"}
    assert catalog.by_owner("nobody") == []
    assert all(s.category == "telecom" for s in catalog.in_category("telecom"))
    egypt = {s.id for s in catalog.in_country("EG")}
    assert {"vodafone-eg", "we", "facebook"} <= egypt
    assert "stc" not in egypt


def test_subset_keeps_order_and_tables(catalog: Catalog) -> None:
    small = catalog.subset(["whatsapp", "facebook"])
    assert [s.id for s in small] == ["facebook", "whatsapp"]
    assert small.problem_types == catalog.problem_types
    with pytest.raises(NotFound):
        catalog.subset(["myspace"])


def test_services_hash_by_id_and_list_all_aliases(catalog: Catalog) -> None:
    whatsapp = catalog.get("whatsapp")
    assert {whatsapp, catalog.get("whatsapp")} == {whatsapp}
    assert "واتساب" in whatsapp.all_aliases and "WhatsApp" in whatsapp.all_aliases
    assert "wa" not in whatsapp.all_aliases  # ambiguous forms stay apart


def _service(service_id: str, name: str, popularity: float) -> Service:
    return Service(
        id=service_id,
        name={"en": name, "ar": "تجربة " + service_id},
        aliases={"en": (f"{name} app",)},
        ambiguous_aliases=(),
        owner="demo-owner",
        category="social",
        countries=(),
        domains=(f"{service_id}.example",),
        asns=(),
        dns_provider="unknown",
        cdn=None,
        cloud=None,
        problems=("app",),
        popularity=popularity,
        endpoints=(),
        status_url=None,
    )


def test_catalog_can_be_built_by_hand() -> None:
    service = _service("demo", "Demo", 1.0)
    catalog = Catalog(
        [service],
        problem_types=[ProblemType("app", {"en": "App", "ar": "التطبيق"})],
        owners=[Owner("demo-owner", {"en": "Demo Inc.", "ar": "ديمو"})],
        categories={"social": {"en": "Social", "ar": "اجتماعي"}},
    )
    assert catalog.find("demo app") == [service]
    assert catalog.problem_name("app", "ar") == "التطبيق"
    assert catalog.owner_name("demo-owner", "en") == "Demo Inc."
    with pytest.raises(ValueError):
        Catalog([service, service])
