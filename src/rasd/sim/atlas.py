"""Where reports come from: each country and its biggest cities, weighted by people awake.

The place table lists, per country, the country itself (reports placed no closer than the
country) and then its most populous cities. A city's weight follows its population and the
rhythm of its own time zone, so a multi-zone country's reports move west through the day.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from rasd.ingest.places import Places
from rasd.sim.countries import CountryTable
from rasd.sim.rhythm import RhythmKey

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Atlas:
    def __init__(self, countries: CountryTable, places: Places, cities_per_country: int) -> None:
        names: list[str] = []
        country_of: list[int] = []
        population: list[float] = []
        key_of: list[int] = []
        keys: dict[RhythmKey, int] = {}
        group_start: list[int] = []
        for c, country in enumerate(countries.countries):
            group_start.append(len(names))
            home = keys.setdefault((country.tz, country.weekend), len(keys))
            names.append(country.code)
            country_of.append(c)
            population.append(0.0)
            key_of.append(home)
            for city in places.cities_in(country.code)[:cities_per_country]:
                names.append(city.region)
                country_of.append(c)
                population.append(float(city.population))
                key_of.append(keys.setdefault((city.timezone, country.weekend), len(keys)))
        self.countries = countries
        self.places: tuple[str, ...] = tuple(names)
        self.place_index = {name: i for i, name in enumerate(names)}
        self.country_of: IntArray = np.array(country_of, dtype=np.int64)
        self.key_of: IntArray = np.array(key_of, dtype=np.int64)
        self.keys: list[RhythmKey] = list(keys)
        self.group_start: IntArray = np.array(group_start, dtype=np.int64)
        self.is_city = np.array([p > 0 for p in population], dtype=bool)
        pop = np.array(population, dtype=np.float64)
        # each city's share of its country's people (among the cities listed)
        totals = np.bincount(self.country_of, weights=pop, minlength=len(countries))
        self.city_share: FloatArray = np.where(
            self.is_city, pop / np.maximum(totals[self.country_of], 1.0), 0.0
        )
        # a country without listed cities follows its main time zone alone
        has_cities = totals > 0
        mix = np.zeros((len(countries), len(keys)), dtype=np.float64)
        np.add.at(mix, (self.country_of, self.key_of), self.city_share)
        for lone in np.flatnonzero(~has_cities).tolist():
            mix[lone, self.key_of[self.group_start[lone]]] = 1.0
        self.key_mix: FloatArray = mix  # (countries, keys): how a country's people split by zone
        self.has_cities = has_cities

    def __len__(self) -> int:
        return len(self.places)

    def country_rhythm(self, key_rhythm: FloatArray) -> FloatArray:
        """Country rhythm from per-key rhythm: (keys, minutes) -> (countries, minutes)."""
        result: FloatArray = self.key_mix @ key_rhythm
        return result

    def place_cdf(
        self,
        key_levels: FloatArray,
        city_share: float,
        boost: FloatArray | None = None,
    ) -> FloatArray:
        """For one minute: per place, `country index + cumulative weight within the country`.

        Search it with `country + u` (u uniform in [0, 1)) to draw a place in that country.
        """
        weight = np.where(
            self.is_city,
            city_share * self.city_share * key_levels[self.key_of],
            0.0,
        )
        if boost is not None:
            weight = weight * boost
        own = np.where(self.has_cities, 1.0 - city_share, 1.0)
        # the country entry keeps its share whatever hour it is in the country's cities
        city_total = np.bincount(self.country_of, weights=weight, minlength=len(self.countries))
        country_entry = own * np.maximum(city_total, 1e-12) / np.maximum(city_share, 1e-12)
        weight[self.group_start] = np.where(self.has_cities, country_entry, 1.0)
        totals = np.bincount(self.country_of, weights=weight, minlength=len(self.countries))
        cum = np.cumsum(weight)
        before = np.concatenate(([0.0], cum[self.group_start[1:] - 1]))
        within = (cum - before[self.country_of]) / totals[self.country_of]
        ends = np.concatenate((self.group_start[1:] - 1, [len(weight) - 1]))
        within[ends] = 1.0
        result: FloatArray = self.country_of + within
        return result

    def draw(self, cdf: FloatArray, country: IntArray, u: FloatArray) -> IntArray:
        """Place index for each report of the given countries."""
        found: IntArray = np.searchsorted(cdf, country + u, side="right").astype(np.int64)
        return found

    def regions(self, indexes: Sequence[int]) -> list[str]:
        return [self.places[i] for i in indexes]
