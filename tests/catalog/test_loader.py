from __future__ import annotations

from pathlib import Path

import pytest

from rasd.catalog import CatalogError, Endpoint, default_catalog, load_catalog
from rasd.catalog.loader import BUILTIN_FILES, DATA_DIR
from rasd.errors import InvalidInput

# Every service the reference event's facts name, the US carriers among them.
FACTS_SERVICES = (
    "facebook",
    "instagram",
    "whatsapp",
    "messenger",
    "workplace",
    "oculus",
    "twitter",
    "tiktok",
    "telegram",
    "signal",
    "google",
    "youtube",
    "gmail",
    "google-cloud",
    "amazon",
    "aws",
    "verizon",
    "att",
    "t-mobile-us",
)
ASKED_FOR = (
    "netflix spotify snapchat discord zoom microsoft-teams outlook microsoft-365 azure icloud "
    "app-store cloudflare reddit linkedin pinterest twitch steam playstation-network xbox-live "
    "roblox fortnite paypal shahid anghami careem talabat noon "
    "stc mobily zain-sa zain-kw etisalat du orange-eg vodafone-eg we etisalat-eg ooredoo-qa "
    "batelco omantel maroc-telecom inwi orange-ma djezzy mobilis ooredoo-tn asiacell zain-iq "
    "zain-jo orange-jo alfa touch jawwal "
    "deutsche-telekom vodafone-de o2-de orange-fr sfr bouygues-telecom free kpn ziggo odido bt "
    "ee virgin-media movistar tim verizon att t-mobile-us xfinity spectrum"
).split()
META_APPS = ("facebook", "instagram", "whatsapp", "messenger", "workplace", "oculus")

MINIMAL = """
[[service]]
id = "{id}"
name = {{ en = "{en}", ar = "خدمة" }}
owner = "meta"
category = "social"
dns_provider = "unknown"
problems = ["app"]
popularity = 0.1
"""


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the built-in catalog ----------------------------------------------------------------


def test_builtin_catalog_is_large_and_has_every_service_asked_for() -> None:
    catalog = load_catalog()
    assert len(catalog) >= 70
    missing = [sid for sid in (*FACTS_SERVICES, *ASKED_FOR) if sid not in catalog]
    assert missing == []


def test_every_service_is_complete_and_refers_to_known_tables() -> None:
    catalog = load_catalog()
    for service in catalog:
        assert service.name["en"] and service.name["ar"], service.id
        assert service.owner in catalog.owners, service.id
        assert service.category in catalog.categories, service.id
        assert service.problems, service.id
        assert all(p in catalog.problem_types for p in service.problems), service.id
        assert service.domains and service.endpoints, service.id
        assert service.popularity > 0, service.id
        assert any(service.aliases.get(lang) for lang in ("en", "ar")), service.id
    for table in (catalog.owners, catalog.problem_types):
        for item in table.values():
            assert item.name["en"] and item.name["ar"]
    for names in catalog.categories.values():
        assert names["en"] and names["ar"]


def test_every_problem_type_asked_for_exists_in_english_and_arabic() -> None:
    catalog = load_catalog()
    asked = (
        "app login messages website connection calls video-calls feed uploads notifications "
        "payments mobile-internet home-internet landline tv email search streaming gaming-online "
        "server-connection account delivery signal"
    ).split()
    for problem in asked:
        assert catalog.problem_name(problem, "en") != catalog.problem_name(problem, "ar")


def test_meta_apps_share_owner_network_and_dns() -> None:
    catalog = load_catalog()
    apps = [catalog.get(sid) for sid in META_APPS]
    assert {s.owner for s in apps} == {"meta"}
    assert all(32934 in s.asns for s in apps)
    assert {s.dns_provider for s in apps} == {"meta"}
    assert {s.id for s in catalog.by_owner("meta")} >= set(META_APPS)
    # the spill-over services of the reference event run elsewhere
    for sid in ("twitter", "telegram", "google", "amazon"):
        assert catalog.get(sid).owner != "meta"
        assert 32934 not in catalog.get(sid).asns


def test_owners_carry_their_prefixes_and_their_name_servers(tmp_path: Path) -> None:
    meta = load_catalog().owners["meta"]
    assert meta.asns == (32934,)
    # the blocks of a-d.ns.facebook.com, withdrawn on 4 October 2021
    assert set(meta.nameserver_prefixes) == {
        "129.134.30.0/23", "129.134.30.0/24", "129.134.31.0/24", "185.89.218.0/23"
    }  # fmt: skip
    assert set(meta.nameserver_prefixes) < set(meta.prefixes)
    assert "2a03:2880::/32" in meta.prefixes
    head = '[[owner]]\nid = "acme"\nname = { en = "Acme", ar = "أكمي" }\n'
    mine = _write(tmp_path, head + 'nameserver_prefixes = ["8.8.8.0/24"]\n')
    acme = load_catalog([mine]).owners["acme"]
    assert acme.prefixes == acme.nameserver_prefixes == ("8.8.8.0/24",)
    twice = '"8.8.8.0/24", "8.8.8.0/24"'
    for bad in ('"10.0.0.0/8"', '"8.8.8.1/24"', '"8.8.8.8"', '"nope"', twice):
        path = _write(tmp_path, head + f"prefixes = [{bad}]\n", "bad.toml")
        with pytest.raises(CatalogError, match="prefix"):
            load_catalog([path])


def test_well_known_networks() -> None:
    catalog = load_catalog()
    assert 15169 in catalog.get("google").asns
    assert 16509 in catalog.get("aws").asns
    assert 13335 in catalog.get("cloudflare").asns
    assert 8075 in catalog.get("azure").asns
    assert 13414 in catalog.get("twitter").asns


def test_arabic_aliases_of_the_big_apps() -> None:
    catalog = load_catalog()
    expected = {
        "facebook": ["فيسبوك", "فيس بوك"],
        "whatsapp": ["واتساب", "واتس آب", "واتس اب", "الواتس", "واتس"],
        "instagram": ["انستقرام", "انستغرام", "انستجرام", "انستا", "إنستغرام"],
        "twitter": ["تويتر"],
        "tiktok": ["تيك توك"],
        "telegram": ["تيليجرام", "تلغرام", "تليجرام"],
        "youtube": ["يوتيوب", "اليوتيوب"],
        "google": ["جوجل", "قوقل", "غوغل"],
    }
    for sid, forms in expected.items():
        service = catalog.get(sid)
        written = set(service.aliases["ar"]) | set(service.ambiguous_aliases)
        assert set(forms) <= written, (sid, set(forms) - written)


def test_explicit_and_derived_endpoints() -> None:
    catalog = load_catalog()
    facebook = catalog.get("facebook")
    assert Endpoint("http", "https://www.facebook.com/") in facebook.endpoints
    stc = catalog.get("stc")
    assert stc.endpoints == (Endpoint("dns", "stc.com.sa"), Endpoint("http", "https://stc.com.sa/"))


def test_builtin_load_is_cached() -> None:
    assert load_catalog() is load_catalog()
    assert default_catalog() is default_catalog()
    assert len(default_catalog()) == len(load_catalog())


def test_builtin_files_are_all_listed() -> None:
    assert sorted(BUILTIN_FILES) == sorted(p.name for p in DATA_DIR.glob("*.toml"))


# --- user files --------------------------------------------------------------------------


def test_override_keeps_what_it_does_not_give(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[service]]
id = "facebook"
popularity = 2.5
name = { fr = "Facebook (FR)" }
aliases.de = ["Fratzenbuch"]
""",
    )
    catalog = load_catalog([path])
    facebook = catalog.get("facebook")
    builtin = load_catalog().get("facebook")
    assert facebook.popularity == 2.5
    assert facebook.name == {**builtin.name, "fr": "Facebook (FR)"}
    assert facebook.aliases["de"] == ("Fratzenbuch",)
    assert facebook.aliases["ar"] == builtin.aliases["ar"]
    assert facebook.asns == builtin.asns and facebook.endpoints == builtin.endpoints
    assert [s.id for s in catalog] == [s.id for s in load_catalog()]  # position kept
    assert load_catalog().get("facebook").popularity == 1.0  # built-ins untouched


def test_override_of_domains_derives_new_endpoints(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[service]]\nid = "stc"\ndomains = ["example.sa"]\n')
    stc = load_catalog([path]).get("stc")
    assert stc.endpoints == (Endpoint("dns", "example.sa"), Endpoint("http", "https://example.sa/"))


def test_addition_and_disable(tmp_path: Path) -> None:
    first = _write(
        tmp_path,
        """
[[owner]]
id = "acme"
name = { en = "Acme", ar = "أكمي" }

[[service]]
id = "acme-chat"
name = { en = "Acme Chat", ar = "أكمي شات" }
owner = "acme"
category = "messaging"
countries = ["EG", "SA"]
domains = ["chat.acme.example", "acme.example"]
dns_provider = "unknown"
problems = ["messages", "login"]
popularity = 0.01
aliases.ar = ["أكمي"]

[[service]]
id = "instagram"
disabled = true
""",
        "one.toml",
    )
    second = _write(tmp_path, '[[service]]\nid = "acme-chat"\npopularity = 0.5\n', "two.toml")
    catalog = load_catalog([first, second])
    assert "instagram" not in catalog and "instagram" in load_catalog()
    assert len(catalog) == len(load_catalog())
    acme = catalog.get("acme-chat")
    assert list(catalog)[-1] is acme
    assert acme.popularity == 0.5 and acme.owner == "acme"
    assert catalog.owners["acme"].name["ar"] == "أكمي"
    assert acme.countries == ("EG", "SA")
    assert acme.endpoints == (
        Endpoint("dns", "chat.acme.example"),
        Endpoint("dns", "acme.example"),
        Endpoint("http", "https://chat.acme.example/"),
    )
    assert acme.cdn is None and acme.status_url is None
    assert catalog.find("اكمي")[0] is acme


def test_a_later_file_can_disable_what_an_earlier_one_added(tmp_path: Path) -> None:
    first = _write(tmp_path, MINIMAL.format(id="extra", en="Extra"), "one.toml")
    second = _write(tmp_path, '[[service]]\nid = "extra"\ndisabled = true\n', "two.toml")
    assert "extra" not in load_catalog([first, second])


# --- bad files ---------------------------------------------------------------------------

MARK = "# <-"
BAD_FILES = {
    "syntax": ('[[service]]\nid = "a"\nname = { en = "A" ar = "ب" }  # <-\n', "not valid TOML"),
    "unknown section": ('[[services]]  # <-\nid = "a"\n', "unknown section 'services'"),
    "not an array": ('[service]  # <-\nid = "a"\n', "array of tables"),
    "unknown key": (
        MINIMAL.format(id="a", en="A") + 'colour = "blue"  # <-\n',
        "unknown key 'colour'",
    ),
    "bad slug": ('[[service]]\nid = "Big Service"  # <-\n', "not a valid id"),
    "no id": ('[[service]]  # <-\nname = { en = "A", ar = "ب" }\n', "without 'id'"),
    "duplicate id": (
        MINIMAL.format(id="a", en="A")
        + MINIMAL.format(id="a", en="B").replace("[[service]]", "[[service]]  # <-"),
        "given twice in this file",
    ),
    "unknown owner": (
        MINIMAL.format(id="a", en="A").replace('owner = "meta"', 'owner = "nobody"  # <-'),
        "unknown owner 'nobody'",
    ),
    "unknown category": (
        MINIMAL.format(id="a", en="A").replace('category = "social"', 'category = "toys"  # <-'),
        "unknown category 'toys'",
    ),
    "unknown problem": (
        MINIMAL.format(id="a", en="A").replace(
            'problems = ["app"]', 'problems = ["app", "sadness"]  # <-'
        ),
        "unknown problem type 'sadness'",
    ),
    "bad country": (
        MINIMAL.format(id="a", en="A") + 'countries = ["EG", "XY"]  # <-\n',
        "'XY' is not an ISO 3166",
    ),
    "lower-case country": (
        MINIMAL.format(id="a", en="A") + 'countries = ["eg"]  # <-\n',
        "'eg' is not an ISO 3166",
    ),
    "bad endpoint kind": (
        MINIMAL.format(id="a", en="A")
        + 'endpoints = [  # <-\n  { kind = "ping", target = "a.example" },\n]\n',
        "kind must be one of dns, http, tcp",
    ),
    "bad tcp target": (
        MINIMAL.format(id="a", en="A")
        + 'endpoints = [{ kind = "tcp", target = "a.example:99999" }]  # <-\n',
        "not host:port",
    ),
    "bad url": (
        MINIMAL.format(id="a", en="A") + 'status_url = "ftp://a.example/"  # <-\n',
        "not an http(s) URL",
    ),
    "bad status kind": (
        MINIMAL.format(id="a", en="A")
        + 'status_url = "https://a.example/"\nstatus_kind = "atom"  # <-\n',
        "must be one of statuspage",
    ),
    "status kind without a page": (
        MINIMAL.format(id="a", en="A") + 'status_kind = "statuspage"  # <-\n',
        "status_kind needs status_url or status_feed",
    ),
    "empty name": (
        MINIMAL.format(id="a", en="A").replace('en = "A"', 'en = ""') + "",
        "must not be empty",
    ),
    "no arabic name": (
        MINIMAL.format(id="a", en="A").replace(', ar = "خدمة"', ""),
        "no name in 'ar'",
    ),
    "wrong type": (
        MINIMAL.format(id="a", en="A").replace("popularity = 0.1", 'popularity = "high"  # <-'),
        "expected a number, got a string",
    ),
    "reserved asn": (
        MINIMAL.format(id="a", en="A") + "asns = [64512]  # <-\n",
        "AS64512 is reserved",
    ),
    "bad domain": (
        MINIMAL.format(id="a", en="A") + 'domains = ["Example.com"]  # <-\n',
        "not a lower-case host name",
    ),
    "missing field": (
        '[[service]]  # <-\nid = "a"\nname = { en = "A", ar = "ب" }\nowner = "meta"\n',
        "lacks 'category', 'dns_provider', 'problems', 'popularity'",
    ),
    "disable unknown": ('[[service]]  # <-\nid = "nope"\ndisabled = true\n', "no such service"),
    "alias taken": (
        MINIMAL.format(id="a", en="A") + 'aliases.ar = ["واتس اب"]  # <-\n',
        "also names 'whatsapp'",
    ),
    "safe alias that is ambiguous elsewhere": (
        MINIMAL.format(id="a", en="A") + 'aliases.en = ["Zain"]  # <-\n',
        "belongs in ambiguous_aliases",
    ),
    "alias both ways": (
        MINIMAL.format(id="a", en="A")
        + 'aliases.en = ["Abc"]\nambiguous_aliases = ["abc"]  # <-\n',
        "both as an alias and as an ambiguous alias",
    ),
    "name is another's alias": (
        MINIMAL.format(id="a", en="Hotmail"),
        "'Hotmail' also names 'outlook'",
    ),
    "name taken": (
        MINIMAL.format(id="a", en="Face Book"),
        "also the 'en' name of 'facebook'",
    ),
    "bad alias in dotted table": (
        MINIMAL.format(id="a", en="A") + 'aliases.en = ["Abc"]\naliases.ar = ["أ", 3]  # <-\n',
        "aliases in 'ar': expected a string, got an integer",
    ),
    "bad alias in a sub-table": (
        MINIMAL.format(id="a", en="A") + '[service.aliases]\nen = ["Abc"]\nar = [""]  # <-\n',
        "aliases in 'ar': must not be empty",
    ),
    "bad name in a dotted key": (
        MINIMAL.format(id="a", en="A")
        + MINIMAL.format(id="b", en="B").replace(
            'name = { en = "B", ar = "خدمة" }', 'name.en = "B"\nname.ar = 5  # <-'
        ),
        "name in 'ar': expected a string",
    ),
    "bad owner table": ('[[owner]]\nid = "o"\nname = { en = "O" }  # <-\n', "no name in 'ar'"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_names_file_line_and_reason(tmp_path: Path, case: str) -> None:
    text, reason = BAD_FILES[case]
    path = _write(tmp_path, text)
    marked = [n for n, line in enumerate(text.splitlines(), start=1) if MARK in line]
    # without a mark, the fault is on the line of the key the reason is about
    expected = marked[0] if marked else _line_of(text, reason)
    with pytest.raises(CatalogError) as caught:
        load_catalog([path])
    error = caught.value
    assert error.path == path
    assert error.line == expected
    assert reason in error.reason
    assert str(error) == f"{path}:{expected}: {error.reason}"
    assert isinstance(error, InvalidInput) and error.status == 422
    assert error.to_dict()["error"]["details"][0]["line"] == expected


def _line_of(text: str, reason: str) -> int:
    key = "name = " if "name" in reason or "empty" in reason else reason
    return next(n for n, line in enumerate(text.splitlines(), start=1) if key in line)


def test_unreadable_and_undecodable_files(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(CatalogError) as caught:
        load_catalog([missing])
    assert caught.value.line is None and caught.value.path == missing
    assert str(caught.value).startswith(f"{missing}: cannot read the file")

    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'[[owner]]\nid = "x"\nname = { en = "Caf\xe9", ar = "x" }\n')
    with pytest.raises(CatalogError) as caught:
        load_catalog([latin])
    assert caught.value.line == 3 and "UTF-8" in caught.value.reason


def test_reference_errors_point_at_the_file_that_set_the_field(tmp_path: Path) -> None:
    first = _write(tmp_path, MINIMAL.format(id="a", en="A"), "one.toml")
    second = _write(tmp_path, '\n[[service]]\nid = "a"\nowner = "ghost"\n', "two.toml")
    with pytest.raises(CatalogError) as caught:
        load_catalog([first, second])
    assert (caught.value.path, caught.value.line) == (second, 4)
