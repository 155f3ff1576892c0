"""A small catalog and a replay harness for the correlation tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rasd.clock import minute_of
from rasd.correlate import EventChange, EventCorrelator
from rasd.detect.fusion import FusedEvidence, Level
from rasd.errors import NotFound
from rasd.incidents import IncidentChange, IncidentTracker
from rasd.locale import PUBLISHED
from rasd.locale.findings import said as _said
from rasd.locale.phrases import CatalogNames
from rasd.phrase import Phrase

T0 = minute_of(datetime(2021, 10, 4, 15, 30, tzinfo=UTC))


@dataclass(frozen=True)
class Svc:
    id: str
    name: dict[str, str]
    owner: str
    asns: tuple[int, ...] = ()
    dns_provider: str = "unknown"
    cdn: str | None = None
    cloud: str | None = None
    countries: tuple[str, ...] = ()
    category: str = "social"
    popularity: float = 0.1


@dataclass(frozen=True)
class Own:
    name: dict[str, str]


@dataclass
class Cat:
    services: dict[str, Svc]
    owners: dict[str, Own]

    def get(self, service_id: str) -> Svc:
        try:
            return self.services[service_id]
        except KeyError:
            raise NotFound(f"unknown service {service_id!r}") from None


def _svc(id_: str, en: str, ar: str, owner: str, **kw: object) -> Svc:
    return Svc(id_, {"en": en, "ar": ar}, owner, **kw)  # type: ignore[arg-type]


SERVICES = [
    _svc(
        "facebook", "Facebook", "فيسبوك", "meta", asns=(32934,), dns_provider="meta", popularity=1.0
    ),
    _svc(
        "instagram",
        "Instagram",
        "إنستغرام",
        "meta",
        asns=(32934,),
        dns_provider="meta",
        popularity=0.9,
    ),
    _svc(
        "whatsapp", "WhatsApp", "واتساب", "meta", asns=(32934,), dns_provider="meta", popularity=0.8
    ),
    _svc(
        "messenger",
        "Messenger",
        "ماسنجر",
        "meta",
        asns=(32934,),
        dns_provider="meta",
        popularity=0.5,
    ),
    _svc(
        "twitter", "Twitter", "تويتر", "x-corp", asns=(13414,), dns_provider="self", popularity=0.6
    ),
    _svc(
        "telegram",
        "Telegram",
        "تيليجرام",
        "telegram",
        asns=(62041,),
        dns_provider="self",
        popularity=0.4,
    ),
    _svc(
        "amazon", "Amazon", "أمازون", "amazon", asns=(16509,), dns_provider="route53", cloud="aws"
    ),
    _svc("netflix", "Netflix", "نتفليكس", "netflix", dns_provider="ultradns", cloud="aws"),
    _svc("spotify", "Spotify", "سبوتيفاي", "spotify", dns_provider="ns1", cloud="gcp"),
    _svc(
        "discord", "Discord", "ديسكورد", "discord", dns_provider="cloudflare", cdn="cloudflare-cdn"
    ),
    _svc("vodafone-eg", "Vodafone Egypt", "فودافون مصر", "vodafone", countries=("EG",)),
    _svc("orange-eg", "Orange Egypt", "أورنج مصر", "orange", countries=("EG",)),
    _svc("we", "WE", "وي", "telecom-egypt", countries=("EG",)),
    _svc("etisalat-eg", "Etisalat Egypt", "اتصالات مصر", "e-and", countries=("EG",)),
    _svc("fawry", "Fawry", "فوري", "fawry", countries=("EG",)),
    _svc("youtube", "YouTube", "يوتيوب", "alphabet", asns=(15169,), dns_provider="google"),
    _svc("stc", "STC", "إس تي سي", "stc-group", countries=("SA",)),
    _svc("mobily", "Mobily", "موبايلي", "mobily", countries=("SA",)),
]
OWNERS = {
    "meta": Own({"en": "Meta", "ar": "ميتا"}),
    "x-corp": Own({"en": "X Corp.", "ar": "إكس"}),
    "amazon": Own({"en": "Amazon", "ar": "أمازون"}),
    "alphabet": Own({"en": "Alphabet", "ar": "ألفابت"}),
}


def catalog() -> Cat:
    return Cat({s.id: s for s in SERVICES}, dict(OWNERS))


# How the rise of a service is spread over countries: (share of traffic) per country.
GLOBAL = {"US": 0.3, "DE": 0.2, "NL": 0.1, "FR": 0.1, "EG": 0.05}
EGYPT = {"EG": 1.0}


@dataclass
class Rise:
    """A service's reports at `ratio` times their usual level from `start` to `end` (offsets)."""

    service: str
    start: int
    end: int
    ratio: float = 50.0
    usual: float = 20.0
    spread: Mapping[str, float] = field(default_factory=lambda: GLOBAL)
    probes_fail: tuple[int, int] | None = None  # offsets during which its own probes fail


class World:
    """Feeds the incident tracker and the correlator, minute by minute, for a few services."""

    def __init__(self, rises: list[Rise], catalog_: object = None, **settings: object) -> None:
        self.rises = rises
        self.services = sorted({r.service for r in rises})
        self.tracker = IncidentTracker(
            open_after=2,
            escalate_after=1,
            recover_after=2,
            resolve_after=6,
            resolve_after_recovered=3,
            relapse_window=40,
        )
        self.correlator = EventCorrelator(catalog_ or catalog(), **settings)  # type: ignore[arg-type]
        self.offset = -1
        self.incident_changes: list[IncidentChange] = []
        self.changes: list[tuple[int, EventChange]] = []

    def _now(
        self, service: str
    ) -> tuple[float, float, Mapping[str, tuple[float, float]], bool, bool]:
        usual = 20.0
        spread: Mapping[str, float] = GLOBAL
        ratio, failing = 1.0, False
        for rise in self.rises:
            if rise.service != service:
                continue
            usual = rise.usual
            if rise.start <= self.offset < rise.end:
                ratio, spread = rise.ratio, rise.spread
            if rise.probes_fail and rise.probes_fail[0] <= self.offset < rise.probes_fail[1]:
                failing = True
        observed = usual * ratio
        # Outside the rise every country sees its usual share; inside, the spread of the rise.
        regions = {}
        for country in sorted(set(spread) | set(GLOBAL)):
            normal = usual * GLOBAL.get(country, 0.0)
            extra = (observed - usual) * spread.get(country, 0.0) if ratio > 1 else 0.0
            regions[country] = (normal + extra, normal)
        return observed, usual, regions, ratio > 1, failing

    def step(self) -> list[EventChange]:
        self.offset += 1
        minute = T0 + self.offset
        evidence: dict[str, FusedEvidence] = {}
        changes: list[IncidentChange] = []
        for service in self.services:
            observed, usual, regions, rising, failing = self._now(service)
            fused = FusedEvidence(
                score=0.9999 if rising else 0.2,
                level=Level.DETECTED if rising else Level.OK,
                probe_level=Level.DETECTED if failing else Level.OK,
            )
            evidence[service] = fused
            changes += self.tracker.update(minute, service, fused, observed, usual, regions)
        self.incident_changes += changes
        out = self.correlator.update(minute, changes, self.tracker.open_incidents(), evidence)
        self.changes += [(self.offset, c) for c in out]
        return out

    def run(self, minutes: int) -> World:
        for _ in range(minutes):
            self.step()
        return self


def said(value: object, names: object = None) -> dict[str, str]:
    """A phrase the correlator made (or its JSON form) in the published languages, with the
    names of this small catalog."""
    shown = value.to_dict() if isinstance(value, Phrase) else value
    return _said(shown, names or CatalogNames(catalog()), PUBLISHED)  # type: ignore[arg-type]


def say(value: object, lang: str = "en") -> str:
    return said(value)[lang]
