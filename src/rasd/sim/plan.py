"""A scenario's events as rates: what each event adds, per cell and minute, before drawing.

Outages, spillovers and network outages become report cells (service x country) with a rate
per minute: the event's total spread over its services, over countries (fixed shares first,
the rest by audience and how awake each country is), and over time by the event's curve.
Chatter becomes post cells the same way. Surges scale normal traffic; floods and hotspots
keep their own curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rasd.errors import InvalidInput, field_error
from rasd.sim.atlas import Atlas
from rasd.sim.audience import Audience
from rasd.sim.keys import mix64, salt
from rasd.sim.mixes import Mixes
from rasd.sim.scenario import REPORT_EVENTS, Event, Scenario

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def event_span(event: Event) -> tuple[int, int]:
    """First and after-last epoch minute of an event, over all its services."""
    envelopes = [event.envelope(share) for share in event.shares]
    return min(e.onset for e in envelopes), max(e.end for e in envelopes)


@dataclass
class Cells:
    """Report cells of one event: a rate per minute for each (service, country) pair."""

    event: str
    first: int  # epoch minute of column 0
    rates: FloatArray  # (cells, minutes), reports per minute at the scenario's scale
    service: IntArray
    country: IntArray
    mix: IntArray
    posts_per_report: float
    recovery_posts: FloatArray  # (cells, minutes): "it is back" posts per minute
    chatter: bool = False  # posts only, no reports

    @property
    def end(self) -> int:
        return self.first + int(self.rates.shape[1])

    def at(self, minute: int) -> FloatArray | None:
        if self.first <= minute < self.end:
            column: FloatArray = self.rates[:, minute - self.first]
            return column
        return None

    def recovering(self, minute: int) -> FloatArray:
        column: FloatArray = self.recovery_posts[:, minute - self.first]
        return column


@dataclass
class Surge:
    first: int
    levels: FloatArray  # extra volume as a fraction of normal
    services: npt.NDArray[np.bool_]
    countries: npt.NDArray[np.bool_]


@dataclass
class Flood:
    first: int
    rate: FloatArray  # reports per minute
    service: int
    place: int
    country: int
    mix: int
    networks: npt.NDArray[np.uint64]
    reporters: npt.NDArray[np.uint64]


@dataclass
class Hotspot:
    first: int
    levels: FloatArray
    places: IntArray
    boost: FloatArray


class Plan:
    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        service_ids: Sequence[str],
        audience: Audience,
        atlas: Atlas,
        mixes: Mixes,
        default_mix: IntArray,
        country_rhythm: FloatArray,
        rhythm_first: int,
    ) -> None:
        self.scenario = scenario
        self.seed = seed
        self.service_ids = list(service_ids)
        self._service_index = {sid: i for i, sid in enumerate(service_ids)}
        self.audience = audience
        self.atlas = atlas
        self.countries = atlas.countries
        self.mixes = mixes
        self._default_mix = default_mix
        self._country_rhythm = country_rhythm
        self._r_first = rhythm_first
        self.cells: list[Cells] = []
        self.surges: list[Surge] = []
        self.floods: list[Flood] = []
        self.hotspots: list[Hotspot] = []
        for i, event in enumerate(scenario.events):
            self._plan(event, f"events[{i}]")

    def _service(self, service_id: str, key: str) -> int:
        try:
            return self._service_index[service_id]
        except KeyError:
            raise InvalidInput(
                f"{self.scenario.source}: {key}: unknown service {service_id!r}",
                details=[field_error(key, "not in the catalog", file=self.scenario.source)],
            ) from None

    def _country(self, code: str, key: str) -> int:
        if code not in self.countries:
            raise InvalidInput(
                f"{self.scenario.source}: {key}: the simulator has no data for {code!r}",
                details=[field_error(key, "not in the simulator's countries", value=code)],
            )
        return self.countries.index(code)

    def _scope(self, event: Event, at: str) -> npt.NDArray[np.bool_]:
        scope = np.zeros(len(self.countries), dtype=bool)
        if not event.regions:
            scope[:] = True
        for j, region in enumerate(event.regions):
            scope[self._country(region.split("/", 1)[0], f"{at}.regions[{j}]")] = True
        return scope

    def rhythm_slice(self, first: int, n: int) -> FloatArray:
        lo = first - self._r_first
        result: FloatArray = self._country_rhythm[:, lo : lo + n]
        return result

    def _plan(self, event: Event, at: str) -> None:
        if event.all_services:
            service_idx = list(range(len(self.service_ids)))
        else:
            service_idx = [
                self._service(s, f"{at}.services[{j}]") for j, s in enumerate(event.service_ids)
            ]
        scope = self._scope(event, at)
        for code in event.countries:
            self._country(code, f"{at}.countries.{code}")
        for j, share in enumerate(event.shares):
            for code in share.recovery_in:
                self._country(code, f"{at}.services[{j}].recovery_in.{code}")
        if event.kind in REPORT_EVENTS or event.kind == "chatter":
            self._plan_reports(event, service_idx, scope)
        elif event.kind == "surge":
            self._plan_surge(event, service_idx, scope)
        elif event.kind == "bot_flood":
            self._plan_flood(event, service_idx[0], at)
        if event.hotspots:
            self._plan_hotspots(event, at)

    def _plan_reports(
        self, event: Event, service_idx: list[int], scope: npt.NDArray[np.bool_]
    ) -> None:
        first, last = event_span(event)
        n = last - first
        r = self.rhythm_slice(first, n)  # (countries, n)
        shares = event.shares
        normal_in_scope = self.audience.daily[service_idx][:, scope].sum(axis=1)
        if shares[0].share is not None:
            svc_share = np.array([s.share or 0.0 for s in shares], dtype=np.float64)
        else:
            svc_share = np.maximum(normal_in_scope, 1e-9)
        svc_share = svc_share / svc_share.sum()
        explicit = np.zeros(len(self.countries), dtype=np.float64)
        for code, value in event.countries.items():
            explicit[self.countries.index(code)] = value
        rest = max(1.0 - explicit.sum(), 0.0)
        weight = np.array([c.weight for c in self.countries.countries], dtype=np.float64)
        mix_of: dict[int, int] = {}
        chatter = event.kind == "chatter"
        total = ((event.posts if chatter else event.total) or 0.0) * self.scenario.scale
        ppr = (
            event.posts_per_report
            if event.posts_per_report is not None
            else self.scenario.traffic.posts_per_report
        )
        rates: list[FloatArray] = []
        recovery: list[FloatArray] = []
        cell_s: list[int] = []
        cell_c: list[int] = []
        cell_m: list[int] = []
        for k, (s, share) in enumerate(zip(service_idx, shares, strict=True)):
            envelope = event.envelope(share)
            levels = np.repeat(envelope.levels(first, n)[None, :], len(self.countries), axis=0)
            recovers = np.full(len(self.countries), envelope.recovery, dtype=np.int64)
            for code in share.recovery_in:
                local = event.envelope(share, code)
                row = self.countries.index(code)
                levels[row], recovers[row] = local.levels(first, n), local.recovery
            activity = levels * r  # people notice an outage when they are awake
            per_country = activity.sum(axis=1)
            pull = self.audience.share[s] if self.audience.share[s][scope].sum() > 0 else weight
            pull = np.where(scope & (explicit == 0), pull, 0.0) * per_country
            country_share = explicit.copy()
            if pull.sum() > 0:
                country_share += rest * pull / pull.sum()
            mix = int(self._default_mix[s])
            if event.problems:
                mix = self.mixes.within(event.problems, mix)
            mix_of[s] = mix
            for c in np.flatnonzero(country_share > 0):
                if per_country[c] <= 0:
                    continue
                volume = total * svc_share[k] * country_share[c]
                rate = volume * activity[c] / per_country[c]
                rates.append(rate)
                back = int(recovers[c]) - first
                bump = _recovery_bump(back, envelope.decay, n)
                at_recovery = rate[min(max(back, 0), n - 1)]
                recovery.append(0.5 * ppr * at_recovery * bump if not chatter else 0.0 * bump)
                cell_s.append(s)
                cell_c.append(int(c))
                cell_m.append(mix)
        if rates:
            self.cells.append(
                Cells(
                    event=event.id,
                    first=first,
                    rates=np.vstack(rates),
                    service=np.array(cell_s, dtype=np.int64),
                    country=np.array(cell_c, dtype=np.int64),
                    mix=np.array(cell_m, dtype=np.int64),
                    posts_per_report=ppr,
                    recovery_posts=np.vstack(recovery),
                    chatter=chatter,
                )
            )

    def _plan_surge(
        self, event: Event, service_idx: list[int], scope: npt.NDArray[np.bool_]
    ) -> None:
        first, last = event_span(event)
        services = np.zeros(len(self.service_ids), dtype=bool)
        services[service_idx] = True
        levels = event.envelope().levels(first, last - first) * ((event.factor or 1.0) - 1.0)
        self.surges.append(Surge(first, levels, services, scope))

    def _plan_flood(self, event: Event, s: int, at: str) -> None:
        first, last = event_span(event)
        region = event.regions[0]
        place = self.atlas.place_index.get(region)
        if place is None:
            raise InvalidInput(
                f"{self.scenario.source}: {at}.regions[0]: no such place {region!r}",
                details=[field_error(f"{at}.regions[0]", "unknown place", value=region)],
            )
        rate = event.envelope().levels(first, last - first) * (event.rate or 0.0)
        base = salt("flood", self.seed, event.id)
        nets = mix64(np.arange(event.networks, dtype=np.uint64) ^ np.uint64(base))
        keys = mix64(np.arange(event.reporters, dtype=np.uint64) ^ np.uint64(base ^ 0xF00D))
        mix = int(self._default_mix[s])
        if event.problems:
            mix = self.mixes.within(event.problems, mix)
        self.floods.append(
            Flood(
                first=first,
                rate=rate * self.scenario.scale,
                service=s,
                place=place,
                country=int(self.atlas.country_of[place]),
                mix=mix,
                networks=nets,
                reporters=keys,
            )
        )

    def _plan_hotspots(self, event: Event, at: str) -> None:
        first, last = event_span(event)
        levels = np.zeros(last - first, dtype=np.float64)
        for share in event.shares:
            levels = np.maximum(levels, event.envelope(share).levels(first, last - first))
        idx: list[int] = []
        boost: list[float] = []
        for place, factor in event.hotspots.items():
            i = self.atlas.place_index.get(place)
            if i is None:
                raise InvalidInput(
                    f"{self.scenario.source}: {at}.hotspots.{place}: no such city among the "
                    "simulated places",
                    details=[field_error(f"{at}.hotspots.{place}", "unknown place")],
                )
            idx.append(i)
            boost.append(factor)
        self.hotspots.append(
            Hotspot(first, np.minimum(levels, 1.0), np.array(idx), np.array(boost))
        )


def _recovery_bump(at: int, decay: float, n: int) -> FloatArray:
    """When "it is back" posts come: a hump over the recovery's fading, zero elsewhere."""
    width = max(decay, 10.0)
    x = (np.arange(n, dtype=np.float64) - at) / width
    bump: FloatArray = np.where((x >= 0) & (x <= 1), np.sin(np.pi * x), 0.0)
    return bump
