"""The event correlator: turns incidents of single services into events people recognise.

Each minute, after the incident tracker, it is given the incidents' changes and the open
incidents, and it places every new incident:
1. with an event of the same owner (joining while the event lasts, up to `owner_window`),
   or one sharing infrastructure (networks, DNS, CDN, cloud) that started together, within
   `infra_window` minutes;
2. with the regional outage of the country its rise comes from;
3. as spill-over of an event it followed later and smaller, when it has no failures of its own;
4. else in an event of its own.
Then it looks for regional network outages: many unrelated services rising in one country
at once are gathered into one regional event, taking in the events they had been given.
Spill-over that starts failing on its own (its probes fail) or grows as large as the event
is placed again as an outage of its own.

Deterministic: driven by the minute passed in, never by a clock; ties broken by ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime

from rasd.clock import minute_of, minute_start
from rasd.correlate.affinity import CatalogInfo, ServiceInfo, lookup, shared
from rasd.correlate.causes import Cause, HintBook, cause_label, cause_text
from rasd.correlate.event import (
    CauseHintLike,
    Event,
    EventChange,
    EventChangeKind,
    EventKind,
    EventState,
    LogEntry,
)
from rasd.correlate.regional import Candidate, cluster, home_country
from rasd.correlate.spillover import SpilloverRule
from rasd.correlate.titles import log_line, network_title, outage_title, regional_title
from rasd.detect.decision import Level
from rasd.detect.fusion import FusedEvidence
from rasd.incidents import Incident, IncidentChange, IncidentState
from rasd.ingest.networks import Network
from rasd.phrase import Arg

# When several things happen to an event in one minute, the change says the weightiest.
_WEIGHT: dict[EventChangeKind, int] = {
    "opened": 6,
    "merged": 5,
    "reopened": 4,
    "resolved": 3,
    "recovering": 2,
    "updated": 1,
}


@dataclass(frozen=True, slots=True)
class CorrelationConfig:
    """Windows are in minutes."""

    owner_window: int = 180
    infra_window: int = 10
    spill_min_delay: int = 3
    spill_window: int = 240
    spill_ratio: float = 0.5
    regional_window: int = 15  # the services of a regional outage start within this
    regional_lookback: int = 60  # how far back incidents are gathered to find one
    regional_join_window: int = 120  # later services of the country still join it
    regional_min_services: int = 4
    regional_min_owners: int = 3
    regional_share: float = 0.6  # of an incident's excess in one country to be that country's
    max_title_names: int = 5
    max_countries: int = 10
    keep_resolved: int = 1440  # minutes a resolved event is kept, for relapses and links
    hint_hold: int = 3  # minutes running a cause hint must hold before it is believed
    hint_release: int = 10  # minutes a believed hint must be absent before it is let go

    def __post_init__(self) -> None:
        if self.regional_min_services < 2 or self.regional_min_owners < 2:
            raise ValueError("a regional outage takes at least two services of two owners")
        if not 0.0 < self.regional_share <= 1.0:
            raise ValueError("regional_share must be in (0, 1]")
        if self.hint_hold < 1 or self.hint_release < 1:
            raise ValueError("hint_hold and hint_release are at least one minute")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int | float) and value < 0:
                raise ValueError(f"{f.name} cannot be negative")


@dataclass
class _Event:
    id: str
    kind: EventKind
    start: int
    country: str | None = None
    primary: list[str] = field(default_factory=list)  # incident ids, in joining order
    spillover: list[str] = field(default_factory=list)
    state: EventState = EventState.ACTIVE
    end: int | None = None
    merged_into: str | None = None
    network: Network | None = None  # the one network its rise comes from (regional events)
    causes: dict[str, Cause] = field(default_factory=dict)  # by hint key, first given first
    log: list[LogEntry] = field(default_factory=list)
    updated: int = 0

    @property
    def live(self) -> bool:
        return self.state in (EventState.ACTIVE, EventState.RECOVERING)


class EventCorrelator:
    def __init__(
        self,
        catalog: CatalogInfo,
        networks: Callable[[Sequence[str], int, int], Network | None] | None = None,
        **config: object,
    ) -> None:
        """`networks` tells which network the rise of some services since a minute comes
        from (`rasd.correlate.networks.NetworkRise`); without it no event names a network."""
        self.networks = networks
        known = {f.name for f in fields(CorrelationConfig)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise TypeError(f"unknown correlation settings: {', '.join(unknown)}")
        self.catalog = catalog
        self.config = CorrelationConfig(**config)  # type: ignore[arg-type]
        self._spill = SpilloverRule(
            self.config.spill_min_delay, self.config.spill_window, self.config.spill_ratio
        )
        self._events: dict[str, _Event] = {}
        self._incidents: dict[str, Incident] = {}
        self._event_of: dict[str, str] = {}  # incident id -> event id
        self._failing: set[str] = set()  # incidents with failures of their own
        self._services: dict[str, ServiceInfo | None] = {}
        self._minute: int | None = None
        self._hints = HintBook(self.config.hint_hold, self.config.hint_release)

    def __getstate__(self) -> dict[str, object]:
        # what it keeps, not how it reads the store: a loading engine gives its own reader
        state = dict(self.__dict__)
        state["networks"] = None
        return state

    # -- the minute's work -------------------------------------------------------------------

    def update(
        self,
        minute: int | datetime,
        changes: Iterable[IncidentChange],
        open_incidents: Iterable[Incident],
        evidence_by_service: Mapping[str, FusedEvidence] | None = None,
    ) -> list[EventChange]:
        m = minute_of(minute) if isinstance(minute, datetime) else int(minute)
        if self._minute is not None and m < self._minute:
            raise ValueError(f"minutes must not go back: {m} after {self._minute}")
        self._minute = m
        touched: dict[str, set[EventChangeKind]] = {}
        changes = list(changes)
        # The open incidents are the latest word; an incident opened this minute counts as open
        # even when the caller passes only the changes.
        latest = {c.incident.id: c.incident for c in changes}
        latest.update((i.id, i) for i in open_incidents)
        self._incidents.update(latest)
        current = sorted(
            (i for i in latest.values() if i.is_open), key=lambda i: (i.start, i.service)
        )
        evidence = evidence_by_service or {}
        for incident in current:
            fused = evidence.get(incident.service)
            if incident.probe_failures or (fused and fused.probe_level >= Level.POSSIBLE):
                self._failing.add(incident.id)

        for change in changes:
            event_id = self._event_of.get(change.incident.id)
            if event_id is not None and change.kind == "reopened":
                self._note(event_id, m, "reopened", (change.incident.service,), touched)
            elif event_id is not None:
                touched.setdefault(event_id, set())

        newcomers = [i for i in current if i.id not in self._event_of]
        newcomers.sort(key=lambda i: (i.start, -i.peak.excess, i.service))
        for incident in newcomers:
            self._place(incident, m, touched, allow_spill=True)
        self._review_spillover(m, touched)
        self._find_regional(m, current, touched)
        self._find_networks(m, touched)
        out = self._refresh(m, touched)
        self._forget(m)
        return out

    def attach_hints(
        self, minute: int | datetime, hints: Sequence[CauseHintLike]
    ) -> list[EventChange]:
        """This minute's cause hints, to be given every minute (with or without open incidents).

        A hint is believed once it has held `hint_hold` minutes running and let go once absent
        `hint_release` minutes; each live event takes the believed hints that name any of its
        services and keeps them, ended ones too. The timeline says when a cause is first
        believed, or holds again, and when it ends; counts moving within a hint say nothing.
        """
        m = minute_of(minute) if isinstance(minute, datetime) else int(minute)
        touched: dict[str, set[EventChangeKind]] = {}
        gone = self._hints.update(m, hints)
        believed = self._hints.believed()
        for event in self._events.values():
            if not event.live:
                continue  # a resolved event keeps the causes it ended with
            services = {self._incidents[i].service for i in event.primary + event.spillover}
            for key, hint, first, last in believed:
                if not services & set(hint.services):
                    continue
                held = event.causes.get(key)
                if held is None or held.state == "ended":
                    if held is None:
                        event.causes[key] = Cause(hint, first, last, "holding", hint)
                    else:
                        event.causes[key] = held.seen_again(hint, last)
                    kind = "cause" if held is None else "cause_again"
                    self._note(event.id, m, kind, (), touched, what=hint.text)
                    continue
                event.causes[key] = held.seen_again(hint, last)
                if _summary(hint) != _summary(held.hint):
                    touched.setdefault(event.id, set()).add("updated")
            for key in gone:
                held = event.causes.get(key)
                if held is not None and held.state == "holding":
                    event.causes[key] = held.ended()
                    what = cause_label(held.hint)
                    self._note(event.id, m, "cause_ended", (), touched, what=what)
        return self._refresh(m, touched)

    # -- reading -------------------------------------------------------------------------------

    def events(self, include_resolved: bool = True) -> list[Event]:
        """Events known, earliest first; merged ones are left out (see `get`)."""
        found = [
            self._snapshot(e)
            for e in self._events.values()
            if e.state is not EventState.MERGED and (include_resolved or e.live)
        ]
        return sorted(found, key=lambda e: (e.start, e.id))

    def get(self, event_id: str) -> Event | None:
        event = self._events.get(event_id)
        return self._snapshot(event) if event is not None else None

    def event_of(self, incident_id: str) -> Event | None:
        event_id = self._event_of.get(incident_id)
        return self.get(event_id) if event_id is not None else None

    # -- placing an incident -------------------------------------------------------------------

    def _place(
        self,
        incident: Incident,
        m: int,
        touched: dict[str, set[EventChangeKind]],
        *,
        allow_spill: bool,
    ) -> None:
        cfg = self.config
        info = self._service(incident.service)
        start = minute_of(incident.start)

        best: tuple[tuple[int, int, str], str, tuple[str, ...]] | None = None
        for event in self._live(EventKind.OUTAGE):
            for other_id in event.primary:
                other = self._incidents[other_id]
                common = shared(info, self._service(other.service))
                # One owner's services failing while its event is still on are that event.
                if common.owner and (
                    event.state is EventState.ACTIVE or abs(start - event.start) <= cfg.owner_window
                ):
                    key = (0, event.start, event.id)
                    why: tuple[str, ...] = ()
                elif common.infrastructure and (
                    abs(start - minute_of(other.start)) <= cfg.infra_window
                ):
                    key = (1, event.start, event.id)
                    why = common.infrastructure
                else:
                    continue
                if best is None or key < best[0]:
                    best = (key, event.id, why)
        if best is not None:
            _, event_id, why = best
            kind = "joined_infrastructure" if why else "joined_owner"
            self._join(event_id, incident, "primary", m, touched, kind, ", ".join(why))
            return

        country = home_country(incident, info, cfg.regional_share)
        if country is not None:
            for event in self._live(EventKind.REGIONAL):
                if event.country == country and 0 <= start - event.start <= (
                    cfg.regional_join_window
                ):
                    self._join(
                        event.id, incident, "primary", m, touched, "joined_region", country=country
                    )
                    return

        if allow_spill:
            chosen: tuple[tuple[float, int, str], str] | None = None
            failing = incident.id in self._failing
            for event in self._live(EventKind.OUTAGE):
                ratio = max(self._incidents[i].peak.ratio for i in event.primary)
                if self._spill.applies(start, incident.peak.ratio, event.start, ratio, failing):
                    size = sum(self._incidents[i].peak.excess for i in event.primary)
                    rank = (-size, event.start, event.id)
                    if chosen is None or rank < chosen[0]:
                        chosen = (rank, event.id)
            if chosen is not None:
                self._join(chosen[1], incident, "spillover", m, touched, "spillover")
                return

        event = self._new_event(EventKind.OUTAGE, incident, None, m)
        self._join(event.id, incident, "primary", m, touched, None)
        touched.setdefault(event.id, set()).add("opened")
        self._note(event.id, m, "opened", (incident.service,), None)

    def _new_event(self, kind: EventKind, first: Incident, country: str | None, m: int) -> _Event:
        stamp = f"{first.start:%Y%m%dT%H%MZ}"
        if kind is EventKind.REGIONAL:
            base = f"regional-{(country or 'xx').lower()}-{stamp}"
        else:
            info = self._service(first.service)
            base = f"{info.owner if info is not None and info.owner else first.service}-{stamp}"
        event_id, n = base, 1
        while event_id in self._events:
            n += 1
            event_id = f"{base}-{n}"
        event = _Event(id=event_id, kind=kind, start=minute_of(first.start), country=country)
        event.updated = m
        self._events[event_id] = event
        return event

    def _join(
        self,
        event_id: str,
        incident: Incident,
        role: str,
        m: int,
        touched: dict[str, set[EventChangeKind]] | None,
        log_kind: str | None,
        what: str = "",
        country: str = "",
    ) -> None:
        event = self._events[event_id]
        (event.primary if role == "primary" else event.spillover).append(incident.id)
        if role == "primary":
            event.start = min(event.start, minute_of(incident.start))
        self._event_of[incident.id] = event_id
        if touched is not None:
            touched.setdefault(event_id, set()).add("updated")
        if log_kind is not None:
            self._note(event_id, m, log_kind, (incident.service,), None, what=what, country=country)

    # -- spill-over that turns out to fail on its own ------------------------------------------

    def _review_spillover(self, m: int, touched: dict[str, set[EventChangeKind]]) -> None:
        for event in list(self._events.values()):
            if not event.live or not event.spillover or not event.primary:
                continue
            ratio = max(self._incidents[i].peak.ratio for i in event.primary)
            for incident_id in list(event.spillover):
                incident = self._incidents[incident_id]
                if not incident.is_open:
                    continue
                failing = incident_id in self._failing
                if self._spill.still_applies(incident.peak.ratio, ratio, failing):
                    continue
                event.spillover.remove(incident_id)
                del self._event_of[incident_id]
                self._note(event.id, m, "promoted", (incident.service,), touched)
                self._place(incident, m, touched, allow_spill=False)

    # -- regional network outages --------------------------------------------------------------

    def _find_regional(
        self, m: int, current: list[Incident], touched: dict[str, set[EventChangeKind]]
    ) -> None:
        cfg = self.config
        by_country: dict[str, list[Incident]] = {}
        for incident in current:
            if not incident.is_open or minute_of(incident.start) < m - cfg.regional_lookback:
                continue
            event = self._events.get(self._event_of.get(incident.id, ""))
            if event is None or event.kind is EventKind.REGIONAL:
                continue
            info = self._service(incident.service)
            country = home_country(incident, info, cfg.regional_share)
            if country is not None:
                by_country.setdefault(country, []).append(incident)

        for country in sorted(by_country):
            found = {i.id for i in by_country[country]}
            # An event is taken in whole or not at all: all its primaries must be of the country.
            movable = [
                i
                for i in by_country[country]
                if self._role(i.id) == "spillover"
                or set(self._events[self._event_of[i.id]].primary) <= found
            ]
            existing = [e for e in self._live(EventKind.REGIONAL) if e.country == country]
            if existing:
                target = existing[0]
                late = [
                    i
                    for i in movable
                    if 0 <= minute_of(i.start) - target.start <= cfg.regional_join_window
                ]
                if late:
                    self._absorb(target, late, m, touched)
                continue
            group = cluster(
                [
                    Candidate(minute_of(i.start), i.id, i.service, self._owner(i.service))
                    for i in movable
                ],
                cfg.regional_window,
                cfg.regional_min_services,
                cfg.regional_min_owners,
            )
            if group is None:
                continue
            chosen = {c.incident for c in group}
            for c in group:  # the rest of each event taken in comes along
                event = self._events[self._event_of[c.incident]]
                if self._role(c.incident) == "primary":
                    chosen.update(event.primary)
            members = sorted(
                (self._incidents[i] for i in chosen), key=lambda i: (i.start, i.service)
            )
            regional = self._new_event(EventKind.REGIONAL, members[0], country, m)
            touched.setdefault(regional.id, set()).add("opened")
            self._note(regional.id, m, "regional", (), None, country=country)
            self._absorb(regional, members, m, touched)

    def _find_networks(self, m: int, touched: dict[str, set[EventChangeKind]]) -> None:
        """A regional event whose rise comes from one network is named after it, once."""
        if self.networks is None:
            return
        for event in self._live(EventKind.REGIONAL):
            if event.network is not None or event.state is not EventState.ACTIVE:
                continue
            services = [self._incidents[i].service for i in event.primary]
            found = self.networks(services, event.start, m + 1)
            if found is None:
                continue
            event.network = found
            self._note(event.id, m, "network", (), touched, what=found.title)

    def _absorb(
        self,
        target: _Event,
        incidents: Sequence[Incident],
        m: int,
        touched: dict[str, set[EventChangeKind]],
    ) -> None:
        country = target.country or ""
        moved: list[str] = []
        for incident in incidents:
            old = self._events[self._event_of[incident.id]]
            if old.id == target.id:
                continue
            if incident.id in old.spillover:
                old.spillover.remove(incident.id)
                touched.setdefault(old.id, set()).add("updated")
            else:
                old.primary.remove(incident.id)
                if not old.primary:
                    # Nothing of the old event is left but its echoes: they echo the region now.
                    for echo in old.spillover:
                        self._join(target.id, self._incidents[echo], "spillover", m, None, None)
                    old.spillover.clear()
                    old.state = EventState.MERGED
                    old.merged_into = target.id
                    self._note(old.id, m, "merged", (), touched, country=country)
                    touched[old.id].add("merged")
            self._join(target.id, incident, "primary", m, touched, None)
            moved.append(incident.service)
        if moved:
            self._note(target.id, m, "absorbed", tuple(moved), touched, country=country)

    # -- states, snapshots, log ----------------------------------------------------------------

    def _refresh(self, m: int, touched: dict[str, set[EventChangeKind]]) -> list[EventChange]:
        out: list[EventChange] = []
        for event_id in sorted(touched):
            event = self._events[event_id]
            kinds = touched[event_id]
            if event.state is not EventState.MERGED and event.primary:
                state, end = self._state_of(event)
                if state is not event.state:
                    if state is EventState.ACTIVE:
                        kinds.add("reopened")  # failing again after coming back
                    elif state is EventState.RESOLVED:
                        kinds.add("resolved")
                        self._note(event.id, m, "resolved", (), None)
                    elif state is EventState.RECOVERING:
                        kinds.add("recovering")
                        self._note(event.id, m, "recovering", (), None)
                    event.state = state
                event.end = end
            if not kinds or (event.state is EventState.MERGED and "opened" in kinds):
                continue  # nothing new, or folded away before anyone was told of it
            event.updated = m
            kind = max(kinds, key=lambda k: _WEIGHT[k])
            out.append(EventChange(kind, self._snapshot(event)))
        return out

    def _state_of(self, event: _Event) -> tuple[EventState, int | None]:
        primaries = [self._incidents[i] for i in event.primary]
        states = {i.state for i in primaries}
        if states & {IncidentState.OPENED, IncidentState.ONGOING}:
            return EventState.ACTIVE, None
        if IncidentState.RECOVERING in states:
            return EventState.RECOVERING, None
        ends = [minute_of(i.end) for i in primaries if i.end is not None]
        return EventState.RESOLVED, max(ends) if ends else None

    def _note(
        self,
        event_id: str,
        m: int,
        kind: str,
        services: tuple[str, ...],
        touched: dict[str, set[EventChangeKind]] | None,
        *,
        what: Arg = "",
        country: str = "",
    ) -> None:
        event = self._events[event_id]
        if kind == "opened":
            services = tuple(self._incidents[i].service for i in event.primary) or services
        text = log_line(kind, services, what, country)
        event.log.append(LogEntry(minute_start(m), kind, services, text))
        if touched is not None:
            touched.setdefault(event_id, set()).add("updated")

    def _snapshot(self, event: _Event) -> Event:
        primaries = sorted(
            (self._incidents[i] for i in event.primary),
            key=lambda i: (-self._popularity(i.service), -i.peak.excess, i.service),
        )
        echoes = sorted(
            (self._incidents[i] for i in event.spillover),
            key=lambda i: (-i.peak.excess, i.service),
        )
        owners = {self._owner(i.service) for i in primaries}
        owner = next(iter(owners)) if len(owners) == 1 else None
        if owner is not None and self._service(primaries[0].service) is None:
            owner = None  # a service the catalog does not know has no owner to name
        services = [i.service for i in primaries]
        limit = self.config.max_title_names
        if event.kind is EventKind.REGIONAL and event.network is not None:
            title = network_title(event.network.title, services, limit)
        elif event.kind is EventKind.REGIONAL and event.country:
            title = regional_title(event.country, services, limit)
        else:
            # one service is named by itself; several of one owner under the owner's name
            title = outage_title(owner if len(services) > 1 else None, services, limit)
        live = [i for i in primaries if i.is_open]
        level = max((i.level for i in live), default=Level.OK)
        causes = tuple(sorted(event.causes.values(), key=lambda c: (c.first_seen, c.key)))
        return Event(
            id=event.id,
            kind=event.kind,
            title=title,
            state=event.state,
            level=Level(int(level)),
            start=minute_start(event.start),
            end=minute_start(event.end) if event.end is not None else None,
            primary=tuple(i.service for i in primaries),
            spillover=tuple(i.service for i in echoes),
            incidents={i.service: i.id for i in primaries + echoes},
            countries=self._countries(event, primaries),
            owner=owner,
            country=event.country,
            cause_hints=causes,
            cause=cause_text(causes),
            log=tuple(event.log),
            merged_into=event.merged_into,
            updated_at=minute_start(event.updated),
            network=_network_dict(event.network),
        )

    def _countries(self, event: _Event, primaries: list[Incident]) -> tuple[str, ...]:
        excess: dict[str, float] = {}
        for incident in primaries:
            for region in incident.countries():
                excess[region.region] = excess.get(region.region, 0.0) + region.excess
        ranked = sorted((c for c, x in excess.items() if x > 0), key=lambda c: (-excess[c], c))
        if event.country is not None:
            ranked = [event.country] + [c for c in ranked if c != event.country]
        return tuple(ranked[: self.config.max_countries])

    # -- small helpers -------------------------------------------------------------------------

    def _live(self, kind: EventKind) -> list[_Event]:
        return sorted(
            (e for e in self._events.values() if e.kind is kind and e.live and e.primary),
            key=lambda e: (e.start, e.id),
        )

    def _role(self, incident_id: str) -> str | None:
        event = self._events.get(self._event_of.get(incident_id, ""))
        if event is None:
            return None
        return "primary" if incident_id in event.primary else "spillover"

    def _service(self, service_id: str) -> ServiceInfo | None:
        if service_id not in self._services:
            self._services[service_id] = lookup(self.catalog, service_id)
        return self._services[service_id]

    def _owner(self, service_id: str) -> str:
        info = self._service(service_id)
        # A service the catalog does not know is taken as its own owner.
        return info.owner if info is not None and info.owner else f"?{service_id}"

    def _popularity(self, service_id: str) -> float:
        # Popularity orders names in titles when the catalog has it; it is not required.
        value = getattr(self._service(service_id), "popularity", 0.0)
        return float(value) if isinstance(value, int | float) else 0.0

    def _forget(self, m: int) -> None:
        horizon = m - self.config.keep_resolved
        gone = {
            e.id
            for e in self._events.values()
            if e.state is EventState.RESOLVED and e.end is not None and e.end < horizon
        }
        if not gone:
            return
        gone |= {e.id for e in self._events.values() if e.merged_into in gone}
        for event_id in gone:
            event = self._events.pop(event_id)
            for incident_id in event.primary + event.spillover:
                self._event_of.pop(incident_id, None)
                self._incidents.pop(incident_id, None)
                self._failing.discard(incident_id)


def _network_dict(network: Network | None) -> dict[str, object] | None:
    if network is None:
        return None
    return {
        "asn": network.asn,
        "name": network.name,
        "country": network.country,
        "title": network.title,
    }


def _summary(hint: CauseHintLike) -> object:
    return hint.summary or hint.text
