"""The countries the simulator draws from: internet users, reporting habit, time zone, languages."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DEFAULT_WEEKEND = ("sat", "sun")


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    users: float  # internet users, millions
    reporting: float  # habit of using outage-report sites, United States = 1
    tz: str
    langs: tuple[tuple[str, float], ...]  # (language, share), shares sum to 1
    weekend: tuple[int, ...]  # weekday numbers, Monday = 0

    @property
    def weight(self) -> float:
        """Relative number of people who would report a problem, all else equal."""
        return self.users * self.reporting


class CountryTable:
    def __init__(self, countries: list[Country]) -> None:
        if not countries:
            raise ValueError("a country table needs at least one country")
        self.countries = countries
        self.codes = tuple(c.code for c in countries)
        self._index = {c.code: i for i, c in enumerate(countries)}

    def __len__(self) -> int:
        return len(self.countries)

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def index(self, code: str) -> int:
        return self._index[code]

    def get(self, code: str) -> Country:
        return self.countries[self._index[code]]

    @classmethod
    @cache
    def default(cls) -> CountryTable:
        text = resources.files("rasd.sim").joinpath("data/countries.toml").read_text("utf-8")
        return cls.from_toml(tomllib.loads(text))

    @classmethod
    def from_toml(cls, data: dict[str, Any]) -> CountryTable:
        countries: list[Country] = []
        for code, entry in data.items():
            countries.append(_country(code, entry))
        return cls(countries)


def _country(code: str, entry: dict[str, Any]) -> Country:
    where = f"countries.{code}"
    if len(code) != 2 or not code.isupper():
        raise ValueError(f"{where}: not an ISO 3166 alpha-2 code")
    users = float(entry["users"])
    reporting = float(entry.get("reporting", 1.0))
    if users <= 0 or reporting < 0:
        raise ValueError(f"{where}: users must be positive and reporting not negative")
    tz = str(entry["tz"])
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{where}.tz: unknown time zone {tz!r}") from exc
    langs_raw: dict[str, float] = {str(k): float(v) for k, v in entry.get("langs", {}).items()}
    total = sum(langs_raw.values())
    if not langs_raw or total <= 0:
        raise ValueError(f"{where}.langs: needs at least one language with a positive share")
    langs = tuple((lang, share / total) for lang, share in langs_raw.items())
    weekend_names = tuple(entry.get("weekend", _DEFAULT_WEEKEND))
    unknown = [d for d in weekend_names if d not in WEEKDAYS]
    if unknown:
        raise ValueError(f"{where}.weekend: unknown days {unknown}")
    weekend = tuple(sorted(WEEKDAYS.index(d) for d in weekend_names))
    return Country(code, users, reporting, tz, langs, weekend)
