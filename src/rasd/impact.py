"""How many people an outage likely hit, for how long, where, at its worst: the line people repeat.

Reports are not people: most who cannot use a service never report it. The count of people is
an estimate, reports above the usual level times a number of people per report, given as a
range because that number is uncertain (docs/impact.md says where the defaults come from and
when to change them). The low end counts once the people of the service most reported (someone
who reports Facebook and WhatsApp is one person); the high end counts every report of every
service as a different person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rasd.clock import minute_of, minute_start
from rasd.locale import N_, PUBLISHED, Words, listing, words
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.store.base import Store
from rasd.store.counts import CountStore

if TYPE_CHECKING:
    from rasd.catalog import Catalog
    from rasd.clock import Clock
    from rasd.runtime import Runtime

# the usual count of a series for each of the minutes given, or None when not known
Usual = Callable[[SeriesKey, list[int], int], "list[float] | None"]


@dataclass(frozen=True, slots=True)
class Impact:
    reports: int  # reports above the usual level, all the services together
    people_low: int
    people_high: int
    minutes: int
    countries: int
    peak: int  # most reports in one minute, all the services together
    peak_at: datetime | None
    ongoing: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "reports": self.reports,
            "people": {"low": self.people_low, "high": self.people_high},
            "minutes": self.minutes,
            "countries": self.countries,
            "peak": {
                "reports_per_minute": self.peak,
                "at": self.peak_at.isoformat() if self.peak_at is not None else None,
            },
            "ongoing": self.ongoing,
        }


def estimate(
    store: CountStore,
    services: Sequence[str],
    start: datetime,
    end: datetime | None,
    now: datetime,
    *,
    countries: int,
    people_per_report: tuple[float, float],
    usual: Usual | None = None,
) -> Impact:
    """The impact of an outage of `services` from `start` to `end` (None: still going on)."""
    first = minute_of(start)
    last = max(minute_of(end if end is not None else now), first + 1)
    per_minute = [0] * (last - first)
    excess: list[int] = []
    for service in services:
        key = SeriesKey(service, REPORTS, WORLD)
        counts = store.read_counts(key, first, last, 1)
        expected = usual(key, counts.minutes, 1) if usual is not None else None
        above = 0.0
        for i, n in enumerate(counts.values):
            per_minute[i] += n
            above += max(0.0, n - (expected[i] if expected else 0.0))
        excess.append(round(above))
    peak = max(per_minute) if per_minute else 0
    low, high = people_per_report
    return Impact(
        reports=sum(excess),
        people_low=round(low * max(excess, default=0)),
        people_high=round(high * sum(excess)),
        minutes=last - first,
        countries=countries,
        peak=peak,
        peak_at=minute_start(first + per_minute.index(peak)) if peak else None,
        ongoing=end is None,
    )


# -- the sentence ----------------------------------------------------------------------------

_ARABIC_DIGITS = str.maketrans("0123456789.", "٠١٢٣٤٥٦٧٨٩٫")
_SCALES = (
    (1_000_000_000, N_("billion")),
    (1_000_000, N_("million")),
    (1_000, N_("thousand")),
)
# TRANSLATORS: a range of people of one scale: "690–800 million"
_RANGE_ONE_SCALE = N_("{low}–{high} {scale}")
# TRANSLATORS: a range of people across scales: "690 million to 2.8 billion"
_RANGE = N_("{low} {low_scale} to {high} {high_scale}")
# TRANSLATORS: how long, when it is hours and minutes: "2 h 5 min"
_HOURS_AND_MINUTES = N_("{hours} {minutes}")
_SENTENCES = {
    # (ongoing, in how many countries is known)
    (True, True): N_(
        "About {people} people {where} have not been able to use {what} for {how_long} so far."
    ),
    (True, False): N_(
        "About {people} people have not been able to use {what} for {how_long} so far."
    ),
    (False, True): N_("About {people} people {where} could not use {what} for {how_long}."),
    (False, False): N_("About {people} people could not use {what} for {how_long}."),
}


def _digits(text: str, lang: str) -> str:
    return text.translate(_ARABIC_DIGITS) if lang == "ar" else text


def _amount(n: int, _: Words) -> tuple[str, str]:
    """(figure, scale word): two significant figures are all an estimate deserves."""
    for size, scale in _SCALES:
        if n >= size:
            value = n / size
            figure = f"{value:.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")
            return figure, _(scale)
    return str(max(n, 0)), ""


def _range(low: int, high: int, _: Words) -> str:
    (a, scale_a), (b, scale_b) = _amount(low, _), _amount(high, _)
    if scale_a == scale_b:
        text = _(_RANGE_ONE_SCALE, low=a, high=b, scale=scale_b)
    else:
        text = _(_RANGE, low=a, low_scale=scale_a, high=b, high_scale=scale_b)
    return _digits(" ".join(text.split()), _.lang)


def _duration(minutes: int, _: Words) -> str:
    h, m = divmod(max(minutes, 0), 60)
    # (the digits are worked out before: pybabel reads no further than a `_` inside the call)
    h_digits, m_digits = _digits(str(h), _.lang), _digits(str(m), _.lang)
    mins = _.plural_in("how long", "{n} min", "{n} min", m, n=m_digits)
    if not h:
        return mins
    hours = _.plural_in("how long", "{n} h", "{n} h", h, n=h_digits)
    return hours if not m else _(_HOURS_AND_MINUTES, hours=hours, minutes=mins)


def _where(countries: int, _: Words) -> str:
    figure = _digits(str(countries), _.lang)
    return _.plural("in {n} country", "in {n} countries", countries, n=figure)


def sentence(impact: Impact, names: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The one line, by language: `names` are the services' names in each language."""
    out: dict[str, str] = {}
    for lang in PUBLISHED:
        _ = words(lang)
        where = _where(impact.countries, _) if impact.countries > 0 else ""
        out[lang] = _(
            _SENTENCES[impact.ongoing, bool(where)],
            people=_range(impact.people_low, impact.people_high, _),
            where=where,
            what=listing(_, list(names.get(lang) or names["en"])),
            how_long=_duration(impact.minutes, _),
        )
    return out


# -- of the incidents and events the store keeps ---------------------------------------------


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class ImpactReader:
    """Impacts of the incidents and events a store keeps, with their sentences."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        clock: Clock,
        *,
        people_per_report: tuple[float, float],
        usual: Usual | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.people_per_report = people_per_report
        self.usual = usual

    @classmethod
    def of(cls, rt: Runtime) -> ImpactReader:
        engine = rt.engine
        return cls(
            rt.store,
            rt.catalog,
            rt.clock,
            people_per_report=(
                rt.settings.impact_people_per_report_low,
                rt.settings.impact_people_per_report_high,
            ),
            usual=engine.baseline if engine is not None else None,
        )

    def _of(
        self, services: list[str], start: Any, end: Any, countries: int
    ) -> dict[str, Any] | None:
        begun = _when(start)
        if begun is None or not services:
            return None
        impact = estimate(
            self.store,
            services,
            begun,
            _when(end),
            self.clock.now(),
            countries=countries,
            people_per_report=self.people_per_report,
            usual=self.usual,
        )
        named = [self.catalog.get(s) for s in services]
        names = {lang: [s.display_name(lang) for s in named] for lang in ("en", "ar")}
        return {**impact.to_dict(), "sentence": sentence(impact, names)}

    def of_event(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """An event's impact: its primary services (spill-over is people elsewhere, not hit)."""
        services = [s for s in event.get("primary") or [] if s in self.catalog]
        countries = len(event.get("countries") or [])
        return self._of(services, event.get("start"), event.get("end"), countries)

    def of_incident(self, incident: Mapping[str, Any]) -> dict[str, Any] | None:
        """One service's incident: its countries are those its reports rose in."""
        service = str(incident.get("service"))
        if service not in self.catalog:
            return None
        regions = incident.get("regions") or []
        countries = len({str(r["region"]) for r in regions if "/" not in str(r["region"])})
        return self._of([service], incident.get("start"), incident.get("end"), countries)
