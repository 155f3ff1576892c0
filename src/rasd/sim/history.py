"""History: normal report counts for the days before a simulation, to warm baselines.

Drawn for whole days at once (a matrix of series by minutes), not minute by minute: fourteen
days of a hundred services in seventy countries take about a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.sim.atlas import Atlas
from rasd.sim.rhythm import rhythm

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class History:
    start_minute: int
    series: list[SeriesKey]
    counts: npt.NDArray[np.int32]  # (len(series), minutes)

    @property
    def minutes(self) -> int:
        return int(self.counts.shape[1])

    def row(self, key: SeriesKey) -> npt.NDArray[np.int32]:
        row: npt.NDArray[np.int32] = self.counts[self.series.index(key)]
        return row


def draw_history(
    daily: FloatArray,
    atlas: Atlas,
    service_ids: Sequence[str],
    first: int,
    n: int,
    seed: np.random.SeedSequence,
    min_daily: float,
) -> History:
    """Counts of the `reports` signal for the world and each (service, country) pair.

    `daily` holds each pair's normal reports a day. A pair gets its own series when it expects
    at least `min_daily`; the world series counts the other pairs' reports all the same.
    """
    r = atlas.country_rhythm(rhythm(atlas.keys, first, n))  # (countries, n)
    codes = atlas.countries.codes
    per_minute = daily / 1440.0
    keep = daily >= min_daily
    pairs = np.argwhere(keep)  # (k, 2): service, country
    series = [SeriesKey(sid, REPORTS, WORLD) for sid in service_ids]
    series += [SeriesKey(service_ids[s], REPORTS, codes[c]) for s, c in pairs.tolist()]
    n_s = len(service_ids)
    counts = np.zeros((len(series), n), dtype=np.int32)
    rng = np.random.Generator(np.random.PCG64(seed))
    rest = np.where(keep, 0.0, per_minute) @ r  # (services, n): pairs without their own series
    rates = per_minute[pairs[:, 0], pairs[:, 1]][:, None]
    for lo in range(0, n, 1440):  # a day at a time bounds the float memory
        hi = min(lo + 1440, n)
        drawn = rng.poisson(rates * r[pairs[:, 1], lo:hi]).astype(np.int32)
        counts[n_s:, lo:hi] = drawn
        world = rng.poisson(rest[:, lo:hi]).astype(np.int32)
        np.add.at(world, pairs[:, 0], drawn)
        counts[:n_s, lo:hi] = world
    return History(start_minute=first, series=series, counts=counts)
