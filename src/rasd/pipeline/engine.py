"""The detection tick: once a minute, every watched series is scored, every service's signals
fused, incidents moved on and grouped into events, and listeners told what changed.

The engine reads counts from the store, so it is the same whether reports came in through
this process or through the cluster's log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from rasd.catalog import Catalog
from rasd.clock import minute_start
from rasd.detect.bank import SeriesBank
from rasd.detect.decision import Level
from rasd.detect.fusion import FusedEvidence, SignalEvidence, fuse, planned
from rasd.incidents import Incident, IncidentChange, IncidentTracker
from rasd.series import PROBLEM_PREFIX, REPORTS, ROUTES_UNSEEN, WORLD, SeriesKey, region_level
from rasd.store.base import Store

_log = logging.getLogger("rasd.detect")

ChangeListener = Callable[[str, dict[str, Any]], None]


def watched(key: SeriesKey) -> bool:
    """Series the bank learns: every signal of the world, and reports per country."""
    if key.signal.startswith(PROBLEM_PREFIX):
        return False
    if key.region == WORLD:
        return True
    return key.signal == REPORTS and region_level(key.region) == "country"


@dataclass
class _ServiceIndex:
    world: list[tuple[str, int]] = field(default_factory=list)  # (signal, bank index)
    countries: list[tuple[str, int]] = field(default_factory=list)  # (country, bank index)
    reports: int | None = None


def _route_evidence(routes: Any) -> SignalEvidence:
    """The owner's routes as a signal: the peers that no longer see its name servers' prefixes
    of those that usually do, with a level once that has held (`RouteEvidence.lost`)."""
    return SignalEvidence(
        signal=ROUTES_UNSEEN,
        observed=float(routes.unseen_peers),
        expected=0.0,
        score=1.0 - float(routes.share) if routes.share is not None else 0.0,
        level=int(Level.DETECTED) if routes.lost else int(Level.OK),
        total=float(routes.usual_peers),
    )


class DetectionEngine:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        *,
        bank: SeriesBank | None = None,
        tracker: IncidentTracker | None = None,
        correlator: Any = None,
        probe_state: Any = None,
        route_state: Any = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.bank = bank or SeriesBank()
        self.tracker = tracker or IncidentTracker()
        if correlator is None:
            from rasd.correlate.correlator import EventCorrelator
            from rasd.correlate.networks import NetworkRise

            correlator = EventCorrelator(catalog, networks=NetworkRise.of_store(store))
        self.correlator = correlator
        self.probe_state = probe_state
        # the providers' own word (rasd.signals.official.OfficialBoard), when it is read
        self.official: Any = None
        self.route_state = route_state
        self._routes: dict[str, Any] = {}  # owner -> its route evidence at the last tick
        self._listeners: list[ChangeListener] = []
        self._index: dict[str, _ServiceIndex] = {}
        self._indexed = 0
        self._indexed_bank: SeriesBank | None = None
        self._country_of: dict[int, tuple[str, str]] = {}  # bank index -> (service, country)
        self.last_minute: int | None = None
        self.fused: dict[str, FusedEvidence] = {}
        self.ticks = 0
        # counts handed over by the aggregator of this process, by minute; None = read the store
        self._pending: dict[int, dict[SeriesKey, float]] | None = None
        self._observed_from = 0
        self._pending_lock = threading.Lock()
        # whether each series is learned, asked for every count handed over
        self._watched: dict[SeriesKey, bool] = {}

    def observe(self, increments: Mapping[tuple[SeriesKey, int], int]) -> None:
        """Take counts as they are stored, so a tick need not read them back."""
        with self._pending_lock:
            if self._pending is None:
                self._pending = {}
                # the first minute seen may have begun before this process did: it, and every
                # minute before it, is read from the store when ticked
                self._observed_from = min((m for _, m in increments), default=0) + 1
            known = self._watched
            pending = self._pending
            for (key, minute), n in increments.items():
                learned = known.get(key)
                if learned is None:
                    learned = known[key] = watched(key)
                if learned:
                    bucket = pending.get(minute)
                    if bucket is None:
                        bucket = pending[minute] = {}
                    bucket[key] = bucket.get(key, 0.0) + n

    def _counts_for(self, minute: int) -> dict[SeriesKey, float]:
        with self._pending_lock:
            if self._pending is not None and minute >= self._observed_from:
                for old in [m for m in self._pending if m < minute]:
                    del self._pending[old]
                return self._pending.pop(minute, {})
        stored = self.store.read_minutes(minute, minute + 1)
        return {key: float(by_minute.get(minute, 0)) for key, by_minute in stored.items()}

    def listen(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    # -- history ---------------------------------------------------------------------------
    def warm(self, start_minute: int, keys: list[SeriesKey], counts: npt.ArrayLike) -> None:
        """Learn history: `counts[i, j]` is keys[i] at start_minute + j."""
        matrix = np.asarray(counts, dtype=np.float64)
        at = [self.bank.index(key) for key in keys]
        if at == list(range(len(keys))):
            # the bank's first series, in its order (a fresh engine's): the history as it
            # is, not copied into a week of every series (the bank takes the rest as zeros)
            full = matrix
        else:
            full = np.zeros((len(self.bank), matrix.shape[1]), np.float64)
            for row, key in enumerate(keys):
                full[self.bank.index(key)] = matrix[row]
        self.bank.warm(start_minute, full)
        self.last_minute = start_minute + matrix.shape[1] - 1

    # -- the tick --------------------------------------------------------------------------
    def tick(self, minute: int) -> list[IncidentChange]:
        if self.last_minute is not None and minute <= self.last_minute:
            return []
        fresh = self._counts_for(minute)
        keys = list(fresh)
        # thousands of series a minute: looked up together, placed by one numpy assignment
        at = self.bank.positions(keys)
        if None in at:
            for key, i in zip(keys, at, strict=True):
                if i is None and watched(key) and key.service in self.catalog:
                    self.bank.index(key)
            at = self.bank.positions(keys)
        if len(self.bank) != self._indexed or self._indexed_bank is not self.bank:
            self._reindex()
        counts = np.zeros(len(self.bank), np.float64)
        values: Iterable[float] = fresh.values()
        if None in at:
            values = [n for n, i in zip(values, at, strict=True) if i is not None]
            at = [i for i in at if i is not None]
        counts[np.fromiter(at, np.intp, len(at))] = np.fromiter(values, np.float64, len(at))
        result = self.bank.step(minute, counts)
        # read as Python numbers once: a tick reads a few thousand of them one by one
        observed_of: list[float] = counts.tolist()
        expected_of: list[float] = np.asarray(result.expected, np.float64).tolist()
        score_of: list[float] = np.clip(result.score, 0.0, 1.0).astype(np.float64).tolist()
        level_of: list[int] = np.asarray(result.level).astype(np.int64).tolist()
        changes: list[IncidentChange] = []
        # the countries whose reports are above their usual level, by service: found in
        # numpy over every series (a few in a thousand are), not country by country
        regions_of: dict[str, dict[str, tuple[float, float]]] = {}
        country_of = self._country_of
        above = np.flatnonzero(counts > np.asarray(result.expected, np.float64)).tolist()
        for i in above:
            where = country_of.get(i)
            if where is not None:
                service_id, country = where
                found = regions_of.get(service_id)
                if found is None:
                    found = regions_of[service_id] = {}
                found[country] = (observed_of[i], expected_of[i])
        self._routes = {} if self.route_state is None else self.route_state.all_evidence(minute)
        for service in self.catalog:
            idx = self._index.get(service.id)
            routes = self._routes.get(service.owner)
            if idx is None and routes is not None and routes.lost:
                # a service no series has reached yet is still unreachable when its routes go
                idx = self._index[service.id] = _ServiceIndex()
            if idx is None:
                if self.official is None or self.official.evidence(service.id) is None:
                    continue
                idx = _ServiceIndex()  # nothing counted yet: the provider's word alone
            # (signal, observed, expected, score, level): given in place, a dozen for each of a
            # hundred services a minute, keywords cost a quarter of making each
            evidence = [
                SignalEvidence(signal, observed_of[i], expected_of[i], score_of[i], level_of[i])
                for signal, i in idx.world
            ]
            official = self.official
            if official is not None:
                said = official.evidence(service.id)
                if said is not None:
                    evidence.append(said)
            if routes is not None and routes.usual_peers:
                evidence.append(_route_evidence(routes))
            fused = fuse(evidence)
            if official is not None and official.maintenance(service.id):
                fused = planned(fused)
            self.fused[service.id] = fused
            observed = observed_of[idx.reports] if idx.reports is not None else 0.0
            expected = expected_of[idx.reports] if idx.reports is not None else 0.0
            regions = regions_of.get(service.id) or {}
            changes.extend(
                self.tracker.update(minute, service.id, fused, observed, expected, regions)
            )
        self.last_minute = minute
        self.ticks += 1
        self._correlate(minute, changes)
        if changes:
            self._persist(changes)
        return changes

    def _reindex(self) -> None:
        """Index the series the bank gained since the last time (all of them for a new bank):
        the same entries a fresh index of every series makes, without walking them again."""
        if self._indexed_bank is not self.bank:
            self._index, self._indexed, self._indexed_bank = {}, 0, self.bank
            self._country_of = {}
        index = self._index
        for i, key in enumerate(self.bank.keys[self._indexed :], start=self._indexed):
            entry = index.setdefault(key.service, _ServiceIndex())
            if key.region == WORLD:
                entry.world.append((key.signal, i))
                if key.signal == REPORTS:
                    entry.reports = i
            else:
                entry.countries.append((key.region, i))
                self._country_of[i] = (key.service, key.region)
        # a service given an entry with no series (its routes went) has none in a fresh index
        for service in [s for s, e in index.items() if not e.world and not e.countries]:
            del index[service]
        self._indexed = len(self.bank)

    def _persist(self, changes: Iterable[IncidentChange]) -> None:
        latest: dict[str, Incident] = {}
        kinds: dict[str, str] = {}
        for change in changes:
            latest[change.incident.id] = change.incident
            kinds[change.incident.id] = change.kind
        rows = []
        for incident in latest.values():
            data = incident.to_dict()
            fused = self.fused.get(incident.service)
            if fused is not None:
                data["evidence"] = fused.to_dict()
            rows.append(
                {
                    "id": incident.id,
                    "service": incident.service,
                    "state": str(incident.state),
                    "level": int(incident.level),
                    "start_ms": int(incident.start.timestamp() * 1000),
                    "end_ms": int(incident.end.timestamp() * 1000) if incident.end else None,
                    "updated_ms": int(incident.updated_at.timestamp() * 1000),
                    "event_id": self._event_id(incident.id),
                    "data": data,
                }
            )
        self.store.upsert_incidents(rows)
        for row in rows:
            self._tell("incident", {"change": kinds[str(row["id"])], "incident": row["data"]})

    def _event_id(self, incident_id: str) -> str | None:
        event = self.correlator.event_of(incident_id)
        return None if event is None else str(event.id)

    def _correlate(self, minute: int, changes: list[IncidentChange]) -> None:
        open_now = self.tracker.open_incidents()
        event_changes = list(
            self.correlator.update(minute, changes, open_now, evidence_by_service=self.fused)
        )
        # hints are read every minute, open incidents or not: a hint must hold for a while
        # before it is believed, and its first minute is when the trouble began
        if self.probe_state is not None or self.route_state is not None:
            from rasd.correlate.hints import cause_hints

            state = self.probe_state
            evidence = {} if state is None else state.readings(minute)
            hints = cause_hints(evidence, self.catalog, routes=self._routes)
            event_changes.extend(self.correlator.attach_hints(minute, hints))
        if not event_changes:
            return
        latest = {change.event.id: change.event for change in event_changes}
        rows = []
        for event in latest.values():
            rows.append(
                {
                    "id": event.id,
                    "kind": str(event.kind),
                    "state": str(event.state),
                    "start_ms": int(event.start.timestamp() * 1000),
                    "end_ms": int(event.end.timestamp() * 1000) if event.end else None,
                    "updated_ms": int(minute_start(minute).timestamp() * 1000),
                    "data": event.to_dict(),
                }
            )
        self.store.upsert_events(rows)
        for row in rows:
            self._tell("event", {"event": row["data"]})

    def _tell(self, kind: str, payload: dict[str, Any]) -> None:
        for listener in self._listeners:
            try:
                listener(kind, payload)
            except Exception:  # a listener's failure must not stop detection
                _log.exception("listener failed")

    # -- reading ---------------------------------------------------------------------------
    def baseline(self, key: SeriesKey, minutes: list[int], step: int) -> list[float] | None:
        """The usual count for each bucket of `step` minutes starting at `minutes`."""
        i = self.bank.find(key)
        if i is None:
            return None
        out = []
        for start in minutes:
            # sample the bucket's middle minute: the profile is smooth within an hour
            value = float(self.bank.expected_at(start + step // 2)[i]) * step
            out.append(round(value, 2))
        return out
