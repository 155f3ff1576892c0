"""Place names in Arabic: countries, cities from GeoNames or the project's own list, and the
Arabic spelling of names no source has."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest

from rasd.ingest.places import Places, arabic_letters
from rasd.locale.phrases import country_name

_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


@pytest.fixture(scope="module")
def places() -> Places:
    return Places.default()


def test_every_country_has_an_arabic_name(places: Places) -> None:
    latin = [c for c in places.countries if _LATIN.search(places.country_name(c, "ar"))]
    assert latin == []
    assert places.country_name("TR", "ar") == "تركيا"
    assert places.country_name("TR", "en") == "Türkiye"
    assert country_name("TR", "ar") == "تركيا"


def test_cities_take_their_arabic_names_from_the_list_where_geonames_has_none(
    places: Places,
) -> None:
    washington = places.city("US", "Washington")
    assert washington is not None
    assert places.city_name(washington, "ar") == "واشنطن"
    assert places.city_name(washington, "en") == "Washington"
    cairo = places.city("EG", "Cairo")
    assert cairo is not None and places.city_name(cairo, "ar") == "القاهرة"


def test_the_ten_biggest_cities_of_every_simulated_country_have_a_written_name(
    places: Places,
) -> None:
    table = resources.files("rasd.sim") / "data" / "countries.toml"
    countries = tomllib.loads(table.read_text(encoding="utf-8"))
    missing = [
        city.region
        for code in countries
        for city in places.cities_in(code)[:10]
        if city.name_ar is None or _LATIN.search(city.name_ar)
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("name", "arabic"),
    [("Guarulhos", "غوارولهوس"), ("Sorocaba", "سوروكابا"), ("Brent", "برينت")],
)
def test_names_no_source_has_are_spelled_in_arabic_letters(name: str, arabic: str) -> None:
    assert arabic_letters(name) == arabic


def test_no_city_is_left_in_latin_letters(places: Places) -> None:
    latin = [c.region for c in places._cities if _LATIN.search(places.city_name(c, "ar"))]
    assert latin == []
