"""Scenarios: a time window of normal traffic and the events injected into it, read from TOML.

A scenario file names its window (`start`, `end`, UTC), a seed, optional traffic and probe
settings, and a list of `[[events]]`. Event kinds:

- `outage`: services fail; reports (and posts, and failing probes) rise. With `regions`, only
  there (a regional outage).
- `spillover`: reports for other services rise because of event `of` (people switch apps or
  blame the wrong service); smaller, later and shorter.
- `isp`: a network in one country fails; several services' reports rise in that country only.
  `provider` names the network's own service, if the catalog has it.
- `surge`: reports rise a little across services with no outage (a final, New Year's Eve).
- `chatter`: posts rise without complaints (a product launch).
- `bot_flood`: many reports from a few networks and repeated reporter keys.

Each scenario carries its ground truth (`Scenario.truth`), and may carry what the providers
said (`[[statements]]`, at the times the public record gives; `approximate` where it gives
them roughly), which a replay puts on the timeline as a status page's updates would be.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from rasd.clock import minute_of
from rasd.errors import InvalidInput, NotFound, field_error
from rasd.signals.probes import OUTCOMES
from rasd.sim.envelope import Envelope
from rasd.sim.envelope import Relapse as EnvelopeRelapse
from rasd.sim.truth import GroundTruth, truth_of

EventKind = Literal["outage", "spillover", "isp", "surge", "chatter", "bot_flood"]
REPORT_EVENTS = ("outage", "spillover", "isp")
ALL_SERVICES = "*"

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_REGION = re.compile(r"^[A-Z]{2}(/.+)?$")

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Moment = Annotated[AwareDatetime, AfterValidator(_utc)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Relapse(_Model):
    """The service fails again after coming back."""

    at: Moment
    ramp_minutes: NonNegative = 5
    minutes: NonNegative = 30
    decay_minutes: NonNegative = 10
    level: Annotated[float, Field(gt=0, le=2)] = 0.5


class ServiceShare(_Model):
    """One service in an event, with its share of the event's reports and its own timing."""

    id: str
    share: Positive | None = None
    delay_minutes: float = 0
    recovery: Moment | None = None
    recovery_in: dict[str, Moment] = {}  # countries where it comes back at another time
    decay_minutes: NonNegative | None = None
    sustain: Fraction | None = None
    relapses: list[Relapse] | None = None


class ProbeFailure(_Model):
    """How probes fail during an event: the outcome per check kind, and where."""

    start: Moment
    end: Moment
    dns: str = "servfail"
    authoritative: str = "timeout"
    http: str = "connect_error"
    tcp: str = "timeout"
    vantage_share: Annotated[float, Field(gt=0, le=1)] = 1.0


class RouteFailure(_Model):
    """How the owner's routes go during an event: withdrawn by most peers of the route
    collectors over a few minutes, then announced again, most of them around `announce_peak`."""

    withdraw: Moment
    withdraw_minutes: Positive = 2
    announce: Moment
    announce_peak: Moment | None = None
    announce_end: Moment
    prefixes: Literal["nameservers", "all"] = "nameservers"
    peer_share: Annotated[float, Field(gt=0, le=1)] = 1.0


class Event(_Model):
    id: str
    kind: EventKind
    of: str | None = None
    onset: Moment
    ramp_minutes: NonNegative = 10
    peak_minutes: NonNegative = 60
    sustain: Fraction = 1.0
    fatigue_minutes: Positive = 90
    recovery: Moment | None = None
    decay_minutes: NonNegative = 30
    relapses: list[Relapse] = []
    services: list[ServiceShare]
    total: Positive | None = None
    factor: Annotated[float, Field(gt=1)] | None = None
    rate: Positive | None = None
    posts: Positive | None = None
    countries: dict[str, Positive] = {}
    regions: list[str] = []
    hotspots: dict[str, Positive] = {}
    problems: dict[str, Positive] = {}
    posts_per_report: NonNegative | None = None
    networks: Annotated[int, Field(ge=1, le=64)] = 4
    reporters: Annotated[int, Field(ge=1, le=10_000)] = 40
    provider: str | None = None
    probes: list[ProbeFailure] = []
    routes: list[RouteFailure] = []

    @field_validator("services", mode="before")
    @classmethod
    def _names_are_services(cls, value: Any) -> Any:
        """`services = ["a", "b"]` is short for tables with only an id."""
        if isinstance(value, list):
            return [{"id": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def shares(self) -> list[ServiceShare]:
        return list(self.services)

    @property
    def service_ids(self) -> list[str]:
        return [s.id for s in self.shares]

    @property
    def all_services(self) -> bool:
        return self.service_ids == [ALL_SERVICES]

    @property
    def recovery_at(self) -> datetime:
        if self.recovery is not None:
            return self.recovery
        return self.onset + timedelta(minutes=self.ramp_minutes + self.peak_minutes)

    def envelope(self, share: ServiceShare | None = None, country: str | None = None) -> Envelope:
        """The event's curve for one of its services (that service's own timing wins), and
        in one country when the service comes back there at another time."""
        delay = share.delay_minutes if share else 0.0
        recovery = share.recovery if share and share.recovery else None
        if share and country in share.recovery_in:
            recovery = share.recovery_in[country]
        if recovery is None:
            recovery = self.recovery_at + timedelta(minutes=delay)
        decay = share.decay_minutes if share and share.decay_minutes is not None else None
        sustain = share.sustain if share and share.sustain is not None else self.sustain
        relapses = share.relapses if share and share.relapses is not None else self.relapses
        return Envelope(
            onset=minute_of(self.onset) + round(delay),
            ramp=self.ramp_minutes,
            peak=self.peak_minutes,
            sustain=sustain,
            fatigue=self.fatigue_minutes,
            recovery=minute_of(recovery),
            decay=self.decay_minutes if decay is None else decay,
            relapses=tuple(
                EnvelopeRelapse(
                    at=minute_of(r.at),
                    ramp=r.ramp_minutes,
                    hold=r.minutes,
                    decay=r.decay_minutes,
                    level=r.level,
                )
                for r in relapses
            ),
        )


class Statement(_Model):
    """Something a provider said publicly, in its own words."""

    at: Moment
    services: Annotated[list[str], Field(min_length=1)]
    status: Literal["investigating", "identified", "monitoring", "resolved"]
    title: Annotated[str, Field(min_length=1, max_length=300)]
    text: Annotated[str, Field(min_length=1, max_length=4000)]
    source: Annotated[str, Field(min_length=1, max_length=200)]  # where it was said
    incident: str = "statement"  # the provider's name for the incident, if any
    url: str | None = None
    approximate: bool = False  # the record gives its time roughly


class Traffic(_Model):
    """Normal traffic. A service of popularity 1 (Facebook) gets `daily_reports` a day worldwide."""

    daily_reports: NonNegative = 1000
    daily_posts: NonNegative = 150
    posts_per_report: NonNegative = 0.02
    city_share: Fraction = 0.85
    repeat_share: Annotated[float, Field(ge=0, le=0.2)] = 0.004
    cities_per_country: Annotated[int, Field(ge=1, le=500)] = 40


class Probes(_Model):
    enabled: bool = True
    vantages: list[str] = ["us-east", "eu-west", "eu-central", "me-central", "ap-southeast"]
    resolvers: list[str] = ["1.1.1.1"]
    checks_per_service: Annotated[int, Field(ge=1, le=20)] = 3
    every_minutes: Annotated[int, Field(ge=1, le=60)] = 1
    failure_rate: Fraction = 0.0005


class Routes(_Model):
    """BGP as the route collectors' peers see the owners' prefixes (those in the catalog)."""

    enabled: bool = True
    collectors: list[str] = ["rrc00.ripe.net", "rrc01.ripe.net", "rrc21.ripe.net", "rrc25.ripe.net"]
    peers_per_collector: Annotated[int, Field(ge=1, le=200)] = 10
    noise_per_minute: NonNegative = 2.0  # routine re-announcements, over all peers and prefixes


class Scenario(_Model):
    name: str
    title: str
    title_ar: str
    description: str
    description_ar: str
    start: Moment
    end: Moment
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    scale: Positive = 1.0
    traffic: Traffic = Traffic()
    probes: Probes = Probes()
    routes: Routes = Routes()
    events: list[Event] = []
    statements: list[Statement] = []
    source: str = Field(default="", exclude=True)

    @property
    def truth(self) -> GroundTruth:
        return truth_of(self)

    def scaled(self, scale: float) -> Scenario:
        """The same scenario with every volume multiplied by `scale` (for fast tests)."""
        return self.model_copy(update={"scale": self.scale * scale})

    def event(self, event_id: str) -> Event:
        for event in self.events:
            if event.id == event_id:
                return event
        raise KeyError(event_id)


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _invalid(source: str, problems: list[tuple[str, str]]) -> InvalidInput:
    first_key, first_reason = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return InvalidInput(
        f"{source}: {first_key}: {first_reason}{more}",
        details=[field_error(key, reason, file=source) for key, reason in problems],
    )


def parse_scenario(text: str, source: str) -> Scenario:
    """A scenario from TOML text; `source` names the file in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _invalid(source, [("(file)", f"not valid TOML: {exc}")]) from exc
    return scenario_from_dict(data, source)


def scenario_from_dict(data: dict[str, Any], source: str) -> Scenario:
    try:
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as exc:
        problems = [(_key(e["loc"]) or "(file)", str(e["msg"])) for e in exc.errors()]
        raise _invalid(source, problems) from exc
    problems = _semantic_problems(scenario)
    if problems:
        raise _invalid(source, problems)
    return scenario


def _semantic_problems(s: Scenario) -> list[tuple[str, str]]:
    """Checks across fields; each problem names its key."""
    out: list[tuple[str, str]] = []
    if not _NAME.match(s.name):
        out.append(("name", "lower-case letters, digits, '.', '_' and '-' only"))
    for key in ("start", "end"):
        value: datetime = getattr(s, key)
        if value.second or value.microsecond:
            out.append((key, "must fall on a whole minute"))
    if s.end <= s.start:
        out.append(("end", "must be after start"))
    elif s.end - s.start > timedelta(days=31):
        out.append(("end", "a scenario spans at most 31 days"))
    for i, statement in enumerate(s.statements):
        if not s.start <= statement.at < s.end:
            out.append((f"statements[{i}].at", "must fall within the scenario"))
    seen: set[str] = set()
    for i, event in enumerate(s.events):
        out.extend(_event_problems(s, event, f"events[{i}]", seen))
        seen.add(event.id)
    return out


def _event_problems(s: Scenario, e: Event, at: str, seen: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not _NAME.match(e.id):
        out.append((f"{at}.id", "lower-case letters, digits, '.', '_' and '-' only"))
    if e.id in seen:
        out.append((f"{at}.id", f"another event is already called {e.id!r}"))
    if not s.start <= e.onset < s.end:
        out.append((f"{at}.onset", "must fall inside the scenario's window"))
    if e.recovery is not None and e.recovery < e.onset:
        out.append((f"{at}.recovery", "must not come before onset"))
    ids = e.service_ids
    if not ids:
        out.append((f"{at}.services", "name at least one service"))
    if len(set(ids)) != len(ids):
        out.append((f"{at}.services", "a service is named twice"))
    if ALL_SERVICES in ids and (e.kind not in ("surge", "chatter") or len(ids) > 1):
        out.append((f"{at}.services", "'*' (every service) stands alone, in surges and chatter"))
    needs = {
        "outage": "total",
        "spillover": "total",
        "isp": "total",
        "surge": "factor",
        "chatter": "posts",
        "bot_flood": "rate",
    }[e.kind]
    for name in ("total", "factor", "rate", "posts"):
        given = getattr(e, name) is not None
        if name == needs and not given:
            out.append((f"{at}.{name}", f"a {e.kind} event needs it"))
        elif name != needs and given:
            out.append((f"{at}.{name}", f"not used by a {e.kind} event (it uses {needs})"))
    if e.kind == "spillover":
        if e.of is None:
            out.append((f"{at}.of", "a spillover names the event it spills from"))
        elif e.of not in seen:
            out.append((f"{at}.of", f"no earlier event is called {e.of!r}"))
    elif e.of is not None:
        out.append((f"{at}.of", "only a spillover names another event"))
    if e.kind in ("isp", "bot_flood") and not e.regions:
        out.append((f"{at}.regions", f"a {e.kind} event happens somewhere: name its regions"))
    if e.kind == "bot_flood" and len(ids) != 1:
        out.append((f"{at}.services", "a bot flood targets exactly one service"))
    if e.kind == "bot_flood" and len(e.regions) > 1:
        out.append((f"{at}.regions", "a bot flood comes from one place"))
    for j, region in enumerate(e.regions):
        if not _REGION.match(region) or ("/" in region and e.kind != "bot_flood"):
            out.append((f"{at}.regions[{j}]", "a country code (a city only for a bot flood)"))
    for code in e.countries:
        if not re.fullmatch(r"[A-Z]{2}", code):
            out.append((f"{at}.countries.{code}", "not a country code"))
        elif e.regions and code not in e.regions:
            out.append((f"{at}.countries.{code}", "outside the event's regions"))
    if sum(e.countries.values()) > 1.0 + 1e-9:
        out.append((f"{at}.countries", "shares add up to more than 1"))
    for place in e.hotspots:
        if "/" not in place or not _REGION.match(place):
            out.append((f"{at}.hotspots.{place}", "a city region like 'FR/Paris'"))
    shares = [x.share for x in e.shares]
    if any(v is not None for v in shares) and any(v is None for v in shares):
        out.append((f"{at}.services", "give every service a share, or none"))
    for j, failure in enumerate(e.probes):
        if failure.end <= failure.start:
            out.append((f"{at}.probes[{j}].end", "must be after start"))
        for kind in ("dns", "authoritative", "http", "tcp"):
            if getattr(failure, kind) not in OUTCOMES:
                out.append((f"{at}.probes[{j}].{kind}", f"not a probe outcome: one of {OUTCOMES}"))
    for j, route in enumerate(e.routes):
        key = f"{at}.routes[{j}]"
        peak = route.announce_peak or route.announce
        if e.kind != "outage":
            out.append((key, "only an outage takes routes down"))
        if route.announce <= route.withdraw:
            out.append((f"{key}.announce", "must come after withdraw"))
        if not route.announce <= peak <= route.announce_end:
            out.append((f"{key}.announce_peak", "must fall between announce and announce_end"))
    if e.provider is not None and (e.kind != "isp" or e.provider not in ids):
        out.append((f"{at}.provider", "an isp event's provider is one of its services"))
    for j, share in enumerate(e.shares):
        if share.recovery is not None and share.recovery < e.onset:
            out.append((f"{at}.services[{j}].recovery", "must not come before onset"))
        for code, when in share.recovery_in.items():
            key = f"{at}.services[{j}].recovery_in.{code}"
            if not re.fullmatch(r"[A-Z]{2}", code):
                out.append((key, "not a country code"))
            elif when < e.onset:
                out.append((key, "must not come before onset"))
    return out


def _builtin_dir() -> Any:
    return resources.files("rasd.sim").joinpath("scenarios")


def builtin_names() -> list[str]:
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _builtin_dir().iterdir()
        if entry.name.endswith(".toml")
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    text_name = str(name_or_path)
    path = Path(name_or_path)
    if text_name.endswith(".toml") or path.exists() or "/" in text_name:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise NotFound(
                f"{text_name}: cannot read the scenario file ({exc.strerror})",
                details=[field_error("path", "cannot read", file=text_name)],
            ) from exc
        return parse_scenario(text, text_name)
    if text_name not in builtin_names():
        raise NotFound(
            f"no built-in scenario is called {text_name!r}",
            details={"available": builtin_names()},
        )
    text = _builtin_dir().joinpath(f"{text_name}.toml").read_text("utf-8")
    return parse_scenario(text, f"{text_name}.toml")


def list_scenarios() -> list[Scenario]:
    return [load_scenario(name) for name in builtin_names()]
