"""Simulated public posts: how many, about which service, from where, in which language.

The counts follow the reports: a little background talk at normal times, complaints and
questions while a service fails, "it is back" posts as it recovers, and talk without
complaints around launches and matches. The words themselves come from `post_text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from rasd.clock import minute_start
from rasd.signals.posts import Post
from rasd.sim.atlas import Atlas
from rasd.sim.countries import CountryTable
from rasd.sim.keys import salt
from rasd.sim.post_text import LANGS, compose_post

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# What a post says, by where its count comes from.
BACKGROUND, TROUBLE, RECOVERY, TALK = 0, 1, 2, 3
_LABELS = ("complaint", "question", "recovery", "other")
_SAYS: dict[int, tuple[float, float, float, float]] = {
    BACKGROUND: (0.12, 0.08, 0.0, 0.80),  # someone always has a problem somewhere
    TROUBLE: (0.70, 0.30, 0.0, 0.0),
    RECOVERY: (0.0, 0.0, 1.0, 0.0),
    TALK: (0.0, 0.02, 0.0, 0.98),
}
_FALLBACK_LANG = "en"  # where none of a country's languages has phrasing, people post in English
# Texts are composed once per (service, label, language) into a pool of variants and drawn from
# it: composing each of a quarter million posts afresh would dominate the run time.
_POOL = 24


def _names(service: Any, lang: str) -> tuple[str, ...]:
    """Names people would write in `lang`: the display name and the safe aliases."""
    names: list[str] = []
    display = getattr(service, "display_name", None)
    if callable(display):
        names.append(str(display(lang)))
    aliases = getattr(service, "aliases", {})
    if isinstance(aliases, dict):
        names.extend(str(a) for a in aliases.get(lang, ()))
    unique = tuple(dict.fromkeys(n for n in names if n))
    return unique or (str(service.id),)


class PostMaker:
    def __init__(
        self, services: Sequence[Any], countries: CountryTable, atlas: Atlas, seed: int
    ) -> None:
        self._services = services
        self._atlas = atlas
        self._countries = countries
        self._seed = seed
        langs = list(LANGS)
        table = np.zeros((len(countries), len(langs)), dtype=np.float64)
        for c, country in enumerate(countries.countries):
            for lang, share in country.langs:
                if lang in langs:
                    table[c, langs.index(lang)] += share
            if table[c].sum() == 0:
                table[c, langs.index(_FALLBACK_LANG)] = 1.0
        within = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
        within[:, -1] = 1.0
        self._lang_cdf = within
        self._langs = langs
        says = np.array([_SAYS[k] for k in sorted(_SAYS)], dtype=np.float64)
        self._says_cdf = np.cumsum(says, axis=1)
        self._says_cdf[:, -1] = 1.0
        self._cities = [p.split("/", 1)[1] if "/" in p else None for p in atlas.places]
        self._texts: dict[tuple[int, int, int], list[str]] = {}

    def _pool(self, service: int, label: int, lang: int) -> list[str]:
        key = (service, label, lang)
        pool = self._texts.get(key)
        if pool is None:
            code = self._langs[lang]
            names = _names(self._services[service], code)
            rng = np.random.Generator(np.random.PCG64(salt("posts", self._seed, *key)))
            pool = [compose_post(names, _LABELS[label], code, rng) for _ in range(_POOL)]
            self._texts[key] = pool
        return pool

    def make(
        self,
        rng: np.random.Generator,
        minute: int,
        rates: FloatArray,
        service: IntArray,
        country: IntArray,
        kind: IntArray,
        place_cdf: FloatArray,
    ) -> list[Post]:
        """Posts of one minute from per-cell expected counts (one cell: service, country, kind)."""
        cum = np.cumsum(rates)
        if cum.shape[0] == 0 or cum[-1] <= 0:
            return []
        n = int(rng.poisson(cum[-1]))
        if n == 0:
            return []
        u = rng.random((6, n))
        cell = np.minimum(np.searchsorted(cum, u[0] * cum[-1], side="right"), cum.shape[0] - 1)
        svc, cty, knd = service[cell], country[cell], kind[cell]
        lang = (u[1][:, None] >= self._lang_cdf[cty]).sum(axis=1)
        label = (u[2][:, None] >= self._says_cdf[knd]).sum(axis=1)
        place = self._atlas.draw(place_cdf, cty, u[3])
        offset_ms = (u[4] * 60_000).astype(np.int64)
        authors = rng.integers(0, 2**48, size=n, dtype=np.int64)
        start = minute_start(minute)
        variant = (u[5] * _POOL).astype(np.int64)
        posts: list[Post] = []
        codes = self._countries.codes
        cities = self._cities
        rows = zip(
            svc.tolist(),
            label.tolist(),
            lang.tolist(),
            variant.tolist(),
            cty.tolist(),
            place.tolist(),
            offset_ms.tolist(),
            authors.tolist(),
            strict=True,
        )
        for i, (s, lb, lg, v, c, pl, ms, who) in enumerate(rows):
            posts.append(
                Post(
                    id=f"sim-{self._seed:x}-{minute}-{i}",
                    text=self._pool(s, lb, lg)[v],
                    created=start + timedelta(milliseconds=ms),
                    author=f"sim{who:012x}",
                    lang=self._langs[lg],
                    country=codes[c],
                    city=cities[pl],
                )
            )
        posts.sort(key=lambda p: p.created)
        return posts
