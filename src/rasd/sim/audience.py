"""Who reports what where in quiet times: a service's daily reports split over countries.

A service's popularity (Facebook = 1) sets its worldwide daily volume; its share in each
country follows that country's internet users, its habit of reporting problems, and the
service's standing there (`data/affinity.toml`). A service limited to some countries gets
all its reports there.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from rasd.sim.countries import CountryTable

FloatArray = npt.NDArray[np.float64]


class ServiceLike(Protocol):
    """What the simulator needs of a catalog service."""

    @property
    def id(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def countries(self) -> tuple[str, ...]: ...
    @property
    def problems(self) -> tuple[str, ...]: ...
    @property
    def popularity(self) -> float: ...


def catalog_services(catalog: Any) -> list[Any]:
    """A catalog's services: from a sequence, a mapping, or anything with `.services`."""
    source = getattr(catalog, "services", catalog)
    if callable(source):
        source = source()
    if isinstance(source, Mapping):
        return list(source.values())
    return list(source)


@cache
def default_affinity() -> dict[str, dict[str, float]]:
    text = resources.files("rasd.sim").joinpath("data/affinity.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    return {sid: {cc: float(v) for cc, v in row.items()} for sid, row in raw.items()}


class Audience:
    """Expected daily reports per (service, country) at normal times, before the daily rhythm."""

    def __init__(
        self,
        services: Sequence[ServiceLike],
        countries: CountryTable,
        daily_reports: float,
        affinity: Mapping[str, Mapping[str, float]] | None = None,
    ) -> None:
        affinity = default_affinity() if affinity is None else affinity
        n_s, n_c = len(services), len(countries)
        weight = np.array([c.weight for c in countries.countries], dtype=np.float64)
        share = np.zeros((n_s, n_c), dtype=np.float64)
        for i, service in enumerate(services):
            row = weight.copy()
            if service.countries:
                allowed = np.zeros(n_c, dtype=bool)
                for code in service.countries:
                    if code in countries:
                        allowed[countries.index(code)] = True
                row = np.where(allowed, row, 0.0)
            for code, factor in affinity.get(service.id, {}).items():
                if code in countries:
                    row[countries.index(code)] *= factor
            total = row.sum()
            if total > 0:
                share[i] = row / total
        popularity = np.array([max(s.popularity, 0.0) for s in services], dtype=np.float64)
        self.services = list(services)
        self.countries = countries
        self.share: FloatArray = share  # each service's split over countries (rows sum to 1)
        self.daily: FloatArray = share * (popularity * daily_reports)[:, None]
