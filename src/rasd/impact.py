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
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.store.base import Store

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
    store: Store,
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
    (1_000_000_000, "billion", "مليار"),
    (1_000_000, "million", "مليون"),
    (1_000, "thousand", "ألف"),
)


def _amount(n: int, lang: str) -> tuple[str, str]:
    """(figure, scale word): two significant figures are all an estimate deserves."""
    for size, en, ar in _SCALES:
        if n >= size:
            value = n / size
            figure = f"{value:.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")
            return figure, en if lang == "en" else ar
    return str(max(n, 0)), ""


def _range(low: int, high: int, lang: str) -> str:
    (a, scale_a), (b, scale_b) = _amount(low, lang), _amount(high, lang)
    if lang == "en":
        if scale_a == scale_b:
            return f"{a}–{b} {scale_a}".strip()
        return f"{a} {scale_a} to {b} {scale_b}".replace("  ", " ").strip()
    left = f"{a} {scale_a}".strip() if scale_a != scale_b else a
    text = f"{left} إلى {b} {scale_b}".strip()
    return text.translate(_ARABIC_DIGITS)


def _arabic_count(n: int, one: str, two: str, few: str, many: str) -> str:
    """Arabic number agreement: one, two, three to ten, eleven and more."""
    if n == 1:
        return one
    if n == 2:
        return two
    digits = str(n).translate(_ARABIC_DIGITS)
    return f"{digits} {few}" if 3 <= n % 100 <= 10 else f"{digits} {many}"


def _duration(minutes: int, lang: str) -> str:
    h, m = divmod(max(minutes, 0), 60)
    if lang == "en":
        if not h:
            return f"{m} min"
        return f"{h} h {m} min" if m else f"{h} h"
    hours = _arabic_count(h, "ساعة", "ساعتين", "ساعات", "ساعة")
    mins = _arabic_count(m, "دقيقة", "دقيقتين", "دقائق", "دقيقة")
    if not h:
        return mins
    return hours if not m else f"{hours} و{mins}"


def _names(names: Sequence[str], lang: str) -> str:
    if lang == "ar":
        return " و".join(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _where(countries: int, lang: str) -> str:
    if countries <= 0:
        return ""
    if lang == "en":
        return f" in {countries} {'country' if countries == 1 else 'countries'}"
    return " في " + _arabic_count(countries, "دولة واحدة", "دولتين", "دول", "دولة")


def sentence(impact: Impact, names: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The one line, by language: `names` are the services' names in each language."""
    out: dict[str, str] = {}
    for lang in ("en", "ar"):
        people = _range(impact.people_low, impact.people_high, lang)
        where = _where(impact.countries, lang)
        what = _names(list(names.get(lang) or names["en"]), lang)
        how_long = _duration(impact.minutes, lang)
        if lang == "en":
            if impact.ongoing:
                out[lang] = (
                    f"About {people} people{where} have not been able to use {what} "
                    f"for {how_long} so far."
                )
            else:
                out[lang] = f"About {people} people{where} could not use {what} for {how_long}."
        elif impact.ongoing:
            out[lang] = f"نحو {people} شخص{where} لا يستطيعون استخدام {what} منذ {how_long}."
        else:
            out[lang] = f"نحو {people} شخص{where} لم يتمكنوا من استخدام {what} مدة {how_long}."
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
        engine = rt.extras.get("engine")
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
