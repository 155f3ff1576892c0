"""The simulation: normal traffic for every catalog service plus a scenario's events.

Every minute is drawn from its own random stream (seeded by the scenario's seed and the
minute), so a run is the same every time and any slice of minutes can be drawn alone.
Reports are drawn as counts per (service, country, mix) cell, then expanded into columns
in one go: the reference day's eleven million reports take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from rasd.clock import minute_of, minute_start
from rasd.errors import InvalidInput, field_error
from rasd.ingest.places import Places
from rasd.signals.posts import Post
from rasd.signals.probes import ProbeCheck, ProbeColumns, ProbeResult
from rasd.signals.reports import ReportColumns
from rasd.signals.routes import RouteUpdate
from rasd.sim.atlas import Atlas
from rasd.sim.audience import Audience, ServiceLike, catalog_services
from rasd.sim.countries import CountryTable
from rasd.sim.history import History, draw_history
from rasd.sim.keys import networks, salt
from rasd.sim.lookahead import can_look_ahead, minutes_ahead
from rasd.sim.mixes import Mixes, catalog_weights
from rasd.sim.plan import Plan, event_span
from rasd.sim.posts import BACKGROUND, RECOVERY, TALK, TROUBLE, PostMaker
from rasd.sim.probes import ProbeMaker
from rasd.sim.rhythm import rhythm
from rasd.sim.routes import RouteMaker, owner_of
from rasd.sim.scenario import Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# One /24 per this many internet users: real reporters share networks (homes, carrier NAT),
# yet few enough per network that ingest's per-network limit never bites on real traffic.
_USERS_PER_NETWORK = 250
_STREAM_REPORTS, _STREAM_POSTS, _STREAM_PROBES, _STREAM_ROUTES = 0, 1, 2, 3
_PLACE_MINUTES = 5


@dataclass(frozen=True)
class MinuteTraffic:
    minute: int  # epoch minute
    reports: ReportColumns
    posts: list[Post] = field(default_factory=list)
    # `Simulation.minutes` gives columns, which iterate as the very objects they stand for
    probes: list[ProbeResult] | ProbeColumns = field(default_factory=list)
    routes: list[RouteUpdate] = field(default_factory=list)

    @property
    def start(self) -> datetime:
        return minute_start(self.minute)


class Simulation:
    def __init__(
        self,
        scenario: Scenario,
        catalog: Any,
        places: Places | None = None,
        seed: int | None = None,
        *,
        countries: CountryTable | None = None,
    ) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.start = scenario.start
        self.end = scenario.end
        self.first_minute = minute_of(scenario.start)
        self.total_minutes = minute_of(scenario.end) - self.first_minute
        services: list[ServiceLike] = catalog_services(catalog)
        if not services:
            raise InvalidInput("the catalog has no services to simulate")
        self.catalog = catalog
        self.services = services
        self.service_ids: tuple[str, ...] = tuple(s.id for s in services)
        self._service_index = {sid: i for i, sid in enumerate(self.service_ids)}
        self.countries = countries or CountryTable.default()
        places = places or Places.default()
        traffic = scenario.traffic
        self.audience = Audience(services, self.countries, traffic.daily_reports)
        self.atlas = Atlas(self.countries, places, traffic.cities_per_country)
        self.mixes = Mixes()
        self._default_mix = np.array(
            [self.mixes.add(catalog_weights(s.problems)) for s in services], dtype=np.int64
        )
        self._pool = np.array(
            [max(int(c.users * 1e6 / _USERS_PER_NETWORK), 16) for c in self.countries.countries],
            dtype=np.float64,
        )
        # the window over which rhythm is known: the scenario and every event's full span
        spans = [event_span(e) for e in scenario.events]
        self._r_first = min([self.first_minute, *(s[0] for s in spans)])
        r_last = max([self.first_minute + self.total_minutes, *(s[1] for s in spans)])
        self._key_rhythm = rhythm(self.atlas.keys, self._r_first, r_last - self._r_first)
        self._country_rhythm = self.atlas.country_rhythm(self._key_rhythm)
        n_s, n_c = len(services), len(self.countries)
        self._normal_per_minute = self.audience.daily * (scenario.scale / 1440.0)
        self._normal_service = np.repeat(np.arange(n_s, dtype=np.int64), n_c)
        self._normal_country = np.tile(np.arange(n_c, dtype=np.int64), n_s)
        plan = Plan(
            scenario,
            self.seed,
            self.service_ids,
            self.audience,
            self.atlas,
            self.mixes,
            self._default_mix,
            self._country_rhythm,
            self._r_first,
        )
        self._plan = plan
        self._cells, self._surges = plan.cells, plan.surges
        self._floods, self._hotspots = plan.floods, plan.hotspots
        self._network_salt = salt("network", self.seed)
        self._cdf_cache: tuple[int, FloatArray] | None = None
        self._layout_cache: dict[tuple[int, ...], tuple[IntArray, IntArray, IntArray]] = {}
        self.problems: tuple[str, ...] = tuple(self.mixes.problems)
        self.places: tuple[str, ...] = self.atlas.places
        self._post_maker = PostMaker(services, self.countries, self.atlas, self.seed)
        self._probe_maker: ProbeMaker | None = None
        if scenario.probes.enabled:
            settings = scenario.probes
            self._probe_maker = ProbeMaker(
                catalog,
                settings.vantages,
                settings.resolvers,
                settings.checks_per_service,
                settings.failure_rate,
            )
            for event in scenario.events:
                for failure in event.probes:
                    self._probe_maker.add_failure(event.id, event.service_ids, failure)
        self._route_maker: RouteMaker | None = None
        if scenario.routes.enabled:
            self._route_maker = RouteMaker(catalog, scenario.routes, self.first_minute, self.seed)
            for event in scenario.events:
                owner = owner_of(catalog, event.service_ids) if event.routes else None
                if owner is not None:
                    for route in event.routes:
                        self._route_maker.add_failure(event.id, owner, route)

    # --- drawing --------------------------------------------------------------------------

    def _rng(self, minute: int, stream: int) -> np.random.Generator:
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence([self.seed, minute, stream]))
        )

    def _normal_rates(self, minute: int) -> FloatArray:
        column = self._country_rhythm[:, minute - self._r_first]
        rates: FloatArray = self._normal_per_minute * column[None, :]
        for surge in self._surges:
            if surge.first <= minute < surge.first + surge.levels.shape[0]:
                extra = 1.0 + surge.levels[minute - surge.first]
                block = np.ix_(surge.services, surge.countries)
                rates[block] = rates[block] * extra
        return rates

    def _layout(self, active: tuple[int, ...]) -> tuple[IntArray, IntArray, IntArray]:
        """Service, country and mix of every cell when these event cells are active."""
        cached = self._layout_cache.get(active)
        if cached is None:
            n_c = len(self.countries)
            parts = [
                (self._normal_service, self._normal_country, np.repeat(self._default_mix, n_c))
            ]
            parts += [
                (self._cells[i].service, self._cells[i].country, self._cells[i].mix) for i in active
            ]
            cached = (
                np.concatenate([p[0] for p in parts]),
                np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]),
            )
            self._layout_cache[active] = cached
        return cached

    def _boost(self, minute: int) -> FloatArray | None:
        boost: FloatArray | None = None
        for spot in self._hotspots:
            if spot.first <= minute < spot.first + spot.levels.shape[0]:
                level = spot.levels[minute - spot.first]
                if boost is None:
                    boost = np.ones(len(self.atlas), dtype=np.float64)
                boost[spot.places] *= 1.0 + (spot.boost - 1.0) * level
        return boost

    def _place_cdf(self, minute: int) -> FloatArray:
        """Place weights move slowly: drawn from the rhythm at the start of each few minutes."""
        bucket = minute - minute % _PLACE_MINUTES
        if self._cdf_cache is None or self._cdf_cache[0] != bucket:
            key_levels = self._key_rhythm[:, bucket - self._r_first]
            cdf = self.atlas.place_cdf(
                key_levels, self.scenario.traffic.city_share, self._boost(bucket)
            )
            self._cdf_cache = (bucket, cdf)
        return self._cdf_cache[1]

    def _reports(self, minute: int) -> ReportColumns:
        rng = self._rng(minute, _STREAM_REPORTS)
        active: list[int] = []
        rates = [self._normal_rates(minute).ravel()]
        for i, cells in enumerate(self._cells):
            column = None if cells.chatter else cells.at(minute)
            if column is not None:
                active.append(i)
                rates.append(column)
        cell_service, cell_country, cell_mix = self._layout(tuple(active))
        lam = np.concatenate(rates)
        cell, n = _draw_cells(rng, lam)
        u = rng.random((3, n))
        service = cell_service[cell]
        country = cell_country[cell]
        mix = cell_mix[cell]
        place = self.atlas.draw(self._place_cdf(minute), country, u[0])
        problem = self.mixes.draw(mix, u[1])
        pool_index = (u[2] * self._pool[country]).astype(np.int64)
        network = networks(self._network_salt, country, pool_index)
        reporter = _raw64(rng, n)
        columns: list[Any] = [service, problem.astype(np.int64), place, reporter, network]
        columns = self._with_repeats(rng, columns)
        columns = self._with_floods(rng, minute, columns)
        total = int(columns[0].shape[0])
        offset = rng.integers(0, 60_000, size=total, dtype=np.int64)
        ts = minute * 60_000 + offset
        # the same order as the times' stable sort: the offsets within the minute fit 16 bits,
        # which numpy sorts stably by radix, in linear time
        order = np.argsort(offset.astype(np.uint16), kind="stable")
        return ReportColumns(
            ts_ms=ts[order],
            service=columns[0][order].astype(np.int32),
            problem=columns[1][order].astype(np.int16),
            place=columns[2][order].astype(np.int32),
            reporter=columns[3][order].astype(np.uint64),
            network=columns[4][order].astype(np.uint64),
            services=self.service_ids,
            problems=self.problems,
            places=self.places,
        )

    def _with_repeats(self, rng: np.random.Generator, columns: list[Any]) -> list[Any]:
        """A few people press the button twice: their second report repeats key and network."""
        n = int(columns[0].shape[0])
        share = self.scenario.traffic.repeat_share
        if n == 0 or share <= 0:
            return columns
        again = np.flatnonzero(rng.random(n) < share)
        return [np.concatenate((col, col[again])) for col in columns]

    def _with_floods(self, rng: np.random.Generator, minute: int, columns: list[Any]) -> list[Any]:
        for flood in self._floods:
            if not flood.first <= minute < flood.first + flood.rate.shape[0]:
                continue
            n = int(rng.poisson(flood.rate[minute - flood.first]))
            if n == 0:
                continue
            u = rng.random(n)
            extra = [
                np.full(n, flood.service, dtype=np.int64),
                self.mixes.draw(np.full(n, flood.mix, dtype=np.int64), u).astype(np.int64),
                np.full(n, flood.place, dtype=np.int64),
                flood.reporters[rng.integers(0, flood.reporters.shape[0], size=n)],
                flood.networks[rng.integers(0, flood.networks.shape[0], size=n)],
            ]
            columns = [np.concatenate((a, b)) for a, b in zip(columns, extra, strict=True)]
        return columns

    def _posts(self, minute: int) -> list[Post]:
        rng = self._rng(minute, _STREAM_POSTS)
        ratio = self.scenario.traffic.daily_posts / max(self.scenario.traffic.daily_reports, 1e-9)
        rates = [self._normal_rates(minute).ravel() * ratio]
        services = [self._normal_service]
        countries = [self._normal_country]
        kinds = [np.full(self._normal_service.shape[0], BACKGROUND, dtype=np.int64)]
        for cells in self._cells:
            column = cells.at(minute)
            if column is None:
                continue
            n = cells.service.shape[0]
            parts = (
                [(column, TALK)]
                if cells.chatter
                else [
                    (column * cells.posts_per_report, TROUBLE),
                    (cells.recovering(minute), RECOVERY),
                ]
            )
            for values, kind in parts:
                rates.append(values)
                services.append(cells.service)
                countries.append(cells.country)
                kinds.append(np.full(n, kind, dtype=np.int64))
        return self._post_maker.make(
            rng,
            minute,
            np.concatenate(rates),
            np.concatenate(services),
            np.concatenate(countries),
            np.concatenate(kinds),
            self._place_cdf(minute),
        )

    def _probes(self, minute: int) -> list[ProbeResult]:
        if self._probe_maker is None or minute % self.scenario.probes.every_minutes:
            return []
        return self._probe_maker.make(self._rng(minute, _STREAM_PROBES), minute)

    def _routes(self, minute: int) -> list[RouteUpdate]:
        if self._route_maker is None:
            return []
        return self._route_maker.make(self._rng(minute, _STREAM_ROUTES), minute)

    def minutes(
        self,
        first: datetime | None = None,
        last: datetime | None = None,
        *,
        posts: bool = True,
        probes: bool = True,
        ahead: bool = False,
    ) -> Generator[MinuteTraffic, None, None]:
        """Traffic minute by minute, from `first` (default: start) to before `last` (end).

        `posts` and `probes` (with the routes) can be left out when only reports matter (they
        cost time). `ahead`: the next minute's reports and posts are drawn in a process of
        their own meanwhile (`rasd.sim.lookahead`), where the system forks; the same minutes.
        """
        lo = self.first_minute if first is None else max(minute_of(first), self.first_minute)
        hi = self.first_minute + self.total_minutes
        if last is not None:
            hi = min(hi, minute_of(last))
        if ahead and posts and probes and can_look_ahead():
            yield from minutes_ahead(self, lo, hi)
            return
        for minute in range(lo, hi):
            yield MinuteTraffic(
                minute=minute,
                reports=self._reports(minute),
                posts=self._posts(minute) if posts else [],
                probes=(self.probe_columns_of(minute) or []) if probes else [],
                routes=self._routes(minute) if probes else [],
            )

    # the parts of one minute, for a caller that draws them apart (`rasd.sim.lookahead`)
    def reports_of(self, minute: int) -> ReportColumns:
        return self._reports(minute)

    def posts_of(self, minute: int) -> list[Post]:
        return self._posts(minute)

    def probes_of(self, minute: int) -> list[ProbeResult]:
        return self._probes(minute)

    def probe_columns_of(self, minute: int) -> ProbeColumns | None:
        """The minute's probe results as columns (`probes_of` as objects), None without any."""
        if self._probe_maker is None or minute % self.scenario.probes.every_minutes:
            return None
        return self._probe_maker.make_columns(self._rng(minute, _STREAM_PROBES), minute)

    def probe_tables(self) -> tuple[Sequence[ProbeCheck], Sequence[str], Sequence[str]]:
        """The tables the columns of `probe_columns_of` point into: checks, vantages, DNS
        answers (the same objects each minute)."""
        if self._probe_maker is None:
            return (), (), ()
        return self._probe_maker.tables()

    def routes_of(self, minute: int) -> list[RouteUpdate]:
        return self._routes(minute)

    # --- expectations and history ---------------------------------------------------------

    def expected_reports(self) -> int:
        """About how many reports the whole run yields (for progress bars)."""
        lo, hi = self.first_minute, self.first_minute + self.total_minutes
        r = self._plan.rhythm_slice(lo, hi - lo)
        total = float((self._normal_per_minute @ r).sum())
        for surge in self._surges:
            a, b = max(surge.first, lo), min(surge.first + surge.levels.shape[0], hi)
            if a < b:
                block = self._normal_per_minute[np.ix_(surge.services, surge.countries)]
                rr = self._plan.rhythm_slice(a, b - a)[surge.countries]
                total += float(
                    (block @ (rr * surge.levels[a - surge.first : b - surge.first])).sum()
                )
        for cells in self._cells:
            a, b = max(cells.first, lo), min(cells.end, hi)
            if a < b and not cells.chatter:
                total += float(cells.rates[:, a - cells.first : b - cells.first].sum())
        for flood in self._floods:
            a, b = max(flood.first, lo), min(flood.first + flood.rate.shape[0], hi)
            if a < b:
                total += float(flood.rate[a - flood.first : b - flood.first].sum())
        total *= 1.0 + self.scenario.traffic.repeat_share
        return int(round(total))

    def expected_event_reports(self, event_id: str) -> dict[tuple[str, str], float]:
        """Expected extra reports of one event inside the window, per (service, country)."""
        found = [c for c in self._cells if c.event == event_id and not c.chatter]
        cells = found[0] if found else None
        out: dict[tuple[str, str], float] = {}
        if cells is None:
            return out
        lo, hi = self.first_minute, self.first_minute + self.total_minutes
        a, b = max(cells.first, lo), min(cells.end, hi)
        if a >= b:
            return out
        sums = cells.rates[:, a - cells.first : b - cells.first].sum(axis=1)
        for s, c, v in zip(
            cells.service.tolist(), cells.country.tolist(), sums.tolist(), strict=True
        ):
            key = (self.service_ids[s], self.countries.codes[c])
            out[key] = out.get(key, 0.0) + v
        return out

    def history(self, days: int, *, min_daily: float = 1.0) -> History:
        """Normal report counts for `days` before the start: world and per-country series.

        A per-country series is kept when the service expects at least `min_daily` reports a
        day there; the world series counts every country all the same.
        """
        if days < 1:
            raise InvalidInput(
                "history needs at least one day", details=[field_error("days", "at least 1")]
            )
        return draw_history(
            self.audience.daily * self.scenario.scale,
            self.atlas,
            self.service_ids,
            self.first_minute - days * 1440,
            days * 1440,
            np.random.SeedSequence([self.seed, self.first_minute, 7]),
            min_daily,
        )

    def __repr__(self) -> str:
        return (
            f"Simulation({self.scenario.name!r}, {self.start.isoformat()} .. "
            f"{(self.start + timedelta(minutes=self.total_minutes)).isoformat()})"
        )


def _draw_cells(rng: np.random.Generator, lam: FloatArray) -> tuple[IntArray, int]:
    """Poisson counts per cell, expanded to one cell index per event.

    When few events are expected, one Poisson total split over the cells in proportion to
    their rates (the same law) is cheaper than a draw per cell; when many are, it is not.
    """
    total = float(lam.sum())
    if total <= 0:
        return np.zeros(0, dtype=np.int64), 0
    if total < lam.shape[0]:
        n = int(rng.poisson(total))
        cum = np.cumsum(lam)
        found = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
        return np.minimum(found, lam.shape[0] - 1).astype(np.int64), n
    counts = rng.poisson(lam)
    hit = np.flatnonzero(counts)
    cell = np.repeat(hit, counts[hit]).astype(np.int64)
    return cell, int(cell.shape[0])


def _raw64(rng: np.random.Generator, n: int) -> npt.NDArray[np.uint64]:
    raw = rng.bit_generator.random_raw(n)
    return np.asarray(raw, dtype=np.uint64)
