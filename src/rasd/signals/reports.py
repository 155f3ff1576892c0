"""Problem reports in columns: the shape that the simulator produces and ingest consumes.

Columns, not objects, because the reference day alone is more than ten million reports.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec
import numpy as np
import numpy.typing as npt

from rasd.series import NETWORK_REPORTS, PROBLEM_PREFIX, REPORTS, WORLD, SeriesKey
from rasd.signals.window import LastSeen, WindowCounter, key_groups
from rasd.store.counts import RawBatch, RawReport


@dataclass(frozen=True)
class ReportColumns:
    """Reports as parallel arrays; string columns are indexes into the tables that follow.

    `place` indexes `places`, whose entries are region strings: a country (`EG`) or a city
    (`EG/Cairo`, as `rasd.ingest.places` names it). `reporter` is the 64-bit hash of the
    reporter key; `network` the 64-bit hash of the reporter's /24 (IPv4) or /48 (IPv6) network.
    `asn` indexes `asns`, the labels of the autonomous systems the reporters are on
    (`rasd.ingest.networks`, "" where none is known); None when no network data was at hand.
    """

    ts_ms: npt.NDArray[np.int64]
    service: npt.NDArray[np.int32]
    problem: npt.NDArray[np.int16]
    place: npt.NDArray[np.int32]
    reporter: npt.NDArray[np.uint64]
    network: npt.NDArray[np.uint64]
    services: tuple[str, ...]
    problems: tuple[str, ...]
    places: tuple[str, ...]
    asn: npt.NDArray[np.int32] | None = None
    asns: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.ts_ms.shape[0])

    def __post_init__(self) -> None:
        n = self.ts_ms.shape[0]
        for name in ("service", "problem", "place", "reporter", "network"):
            if getattr(self, name).shape[0] != n:
                raise ValueError(f"column {name} has another length than ts_ms")
        if self.asn is not None and self.asn.shape[0] != n:
            raise ValueError("column asn has another length than ts_ms")


class ReportRow(NamedTuple):
    """One checked report before it is put in columns. A single report travels as a row to the
    step that takes concurrent requests together, which puts all of them in columns at once:
    arrays of one report cost many times what the report does."""

    ts_ms: int
    service: str
    problem: str
    region: str
    reporter: str  # the key itself, hashed when the rows become columns
    network: int
    asn: str = ""  # the label of the reporter's autonomous system, "" when unknown


_SERVICE_MIX = np.uint64(0x9E3779B97F4A7C15)
_NETWORK_MIX = np.uint64(0xC2B2AE3D27D4EB4F)
_SERVICE_MIX_INT = int(_SERVICE_MIX)
_NETWORK_MIX_INT = int(_NETWORK_MIX)
# a crowd comes after quiet hours, when the window tables are small: grown from there, each
# grew four times in its first half million keys, and while a table grows every report
# counted moves old keys too (counting 400,000 new keys: 3.1-3.7 us a key, 1.5-2.2 us from
# this size). The memory is mapped as it is written: 16 MB a table once a crowd has come
_CROWD_SLOTS = 1 << 20
_BITS64 = (1 << 64) - 1


@dataclass(frozen=True)
class CountedReports:
    batch: RawBatch | None
    increments: dict[tuple[SeriesKey, int], int]
    counted: int
    duplicates: int
    limited: int


class ReportCounter:
    """Turns accepted reports into raw rows and per-minute counts, once per person.

    A reporter counts once per service per `dedupe_minutes` (the first report counts, as
    Downdetector does). One network (/24 or /48) counts at most `network_limit` reports per
    service per `dedupe_minutes`, and one reporter at most `reporter_limit` per hour over all
    services, so a single source cannot make an outage.
    """

    def __init__(
        self, *, dedupe_minutes: int = 15, network_limit: int = 5, reporter_limit: int = 20
    ) -> None:
        self.dedupe_minutes = dedupe_minutes
        self.network_limit = network_limit
        self.reporter_limit = reporter_limit
        self._seen = LastSeen(dedupe_minutes, _CROWD_SLOTS)
        self._per_network = WindowCounter(dedupe_minutes, _CROWD_SLOTS)
        self._per_reporter = WindowCounter(60, _CROWD_SLOTS)
        self._keys_cache: dict[tuple[str, str, str], SeriesKey] = {}
        # (kind, services, names) -> series by code (`_keys_of`)
        self._code_keys: dict[
            tuple[str, tuple[str, ...], tuple[str, ...]], dict[int, SeriesKey]
        ] = {}

    def _series(self, service: str, signal: str, region: str) -> SeriesKey:
        # NamedTuple construction is slow next to a dict hit, and the same keys recur all day
        raw = (service, signal, region)
        key = self._keys_cache.get(raw)
        if key is None:
            key = self._keys_cache[raw] = SeriesKey(service, signal, region)
        return key

    def _keys_of(
        self, kind: str, services: tuple[str, ...], names: tuple[str, ...], codes: list[int]
    ) -> list[SeriesKey]:
        """The series of each code (service << 24 | name), `kind` the signal (or the problems'
        prefix): the same tables of names come with every batch of a source, so the keys are
        kept by code for each, and looked up in C."""
        tables = self._code_keys
        found = tables.get((kind, services, names))
        if found is None:
            if len(tables) >= 64:  # tables of ingested batches vary; keep the recent ones
                tables.pop(next(iter(tables)))
            found = tables[(kind, services, names)] = {}
        keys = list(map(found.get, codes))
        if None in keys:
            for i, code in enumerate(codes):
                if keys[i] is None:
                    service, name = services[code >> 24], names[code & 0xFFFFFF]
                    if kind == PROBLEM_PREFIX:
                        key = self._series(service, kind + name, WORLD)
                    else:
                        key = self._series(service, kind, name)
                    keys[i] = found[code] = key
        return keys  # type: ignore[return-value]  # none is left None

    def spans(self, minute: int) -> tuple[int, int, int]:
        """The first minute whose counted reports each window (people, networks, reporters)
        holds when reports of `minute` and later are counted: a person seen `dedupe_minutes`
        before counts again, and the two counters start afresh with each fixed window."""
        network, reporter = self._per_network.window, self._per_reporter.window
        return (
            minute - self.dedupe_minutes + 1,
            minute // network * network,
            minute // reporter * reporter,
        )

    def remember_batches(
        self,
        batches: Sequence[RawBatch],
        minute: int,
        owns: Callable[[str], bool] | None = None,
    ) -> int:
        """Rebuild the windows from stored batches to count reports of `minute` on, each
        window from its own span only, in arrays. Rows of a batch that names no shard are kept
        only where `owns` their service. Returns how many counted reports were remembered."""
        seen_from, network_from, reporter_from = self.spans(minute)
        since_ms = min(seen_from, network_from, reporter_from) * 60_000
        parts: list[tuple[npt.NDArray[Any], ...]] = []
        for batch in batches:
            cols, reason = decode_batch(batch)
            keep = (reason == 0) & (cols.ts_ms >= since_ms)
            if owns is not None and batch.shard is None:
                keep &= np.array([owns(s) for s in cols.services], bool)[cols.service]
            idx = np.flatnonzero(keep)
            if idx.size:
                person, network = self._keys(cols, idx)
                parts.append((cols.ts_ms[idx] // 60_000, person, network, cols.reporter[idx]))
        if not parts:
            return 0
        at, person, network, reporter = (np.concatenate(c) for c in zip(*parts, strict=True))
        order = np.argsort(at, kind="stable")
        at, person, network, reporter = at[order], person[order], network[order], reporter[order]
        bounds = np.flatnonzero(np.diff(at)) + 1
        for chunk in np.split(np.arange(at.shape[0]), bounds):
            m = int(at[chunk[0]])
            if m >= seen_from:
                self._seen.mark(person[chunk], m)
            if m >= network_from:
                keys, counts = np.unique(network[chunk], return_counts=True)
                self._per_network.add(keys, counts, m)
            if m >= reporter_from:
                keys, counts = np.unique(reporter[chunk], return_counts=True)
                self._per_reporter.add(keys, counts, m)
        return int(at.shape[0])

    def _keys(
        self, cols: ReportColumns, idx: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
        service_codes = np.array([_stable_code(s) for s in cols.services], np.uint64)
        svc = service_codes[cols.service[idx]]
        with np.errstate(over="ignore"):
            person = cols.reporter[idx] ^ (svc * _SERVICE_MIX)
            network = cols.network[idx] ^ (svc * _NETWORK_MIX)
        return person, network

    def count(self, cols: ReportColumns) -> CountedReports:
        n = len(cols)
        if n == 0:
            return CountedReports(None, {}, 0, 0, 0)
        ts = cols.ts_ms
        if bool((ts[1:] >= ts[:-1]).all()):
            order = np.arange(n)  # in time order already, as batches mostly come: no sort
        else:
            order = np.argsort(ts, kind="stable")
        minutes = ts[order] // 60_000
        counted = np.zeros(n, bool)
        reason = np.zeros(n, np.int8)  # 0 counted, 1 duplicate, 2 network limit, 3 reporter limit
        bounds = np.flatnonzero(np.diff(minutes)) + 1
        for chunk in np.split(order, bounds):
            minute = int(cols.ts_ms[chunk[0]] // 60_000)
            ok, why = self._count_minute(cols, chunk, minute)
            counted[chunk] = ok
            reason[chunk] = why
        increments = self._increments(cols, counted)
        return CountedReports(
            batch=encode_batch(cols, counted, reason),
            increments=increments,
            counted=int(counted.sum()),
            duplicates=int((reason == 1).sum()),
            limited=int((reason >= 2).sum()),
        )

    def count_rows(self, rows: Sequence[ReportRow]) -> CountedReports:
        """`count` of the columns these rows make, for a few rows: each report is looked up
        alone, as numpy's fixed cost per call is more than a report's whole cost here."""
        n = len(rows)
        if n == 0:
            return CountedReports(None, {}, 0, 0, 0)
        ts = [row.ts_ms for row in rows]
        reporters = [_hash64(row.reporter) for row in rows]
        minutes = [at // 60_000 for at in ts]
        reason = [0] * n
        if ts == sorted(ts) and minutes[0] == minutes[-1]:  # as single reports mostly come
            self._count_minute_rows(rows, reporters, range(n), minutes[0], reason)
        else:
            order = sorted(range(n), key=ts.__getitem__)  # stable, as argsort(kind="stable")
            start = 0
            while start < n:
                minute = minutes[order[start]]
                end = start + 1
                while end < n and minutes[order[end]] == minute:
                    end += 1
                self._count_minute_rows(rows, reporters, order[start:end], minute, reason)
                start = end
        # reports alike first, then their series: few rows name many series each
        alike: dict[tuple[str, str, str, str, int], int] = {}
        for row, why, minute in zip(rows, reason, minutes, strict=True):
            if not why:
                at = (row.service, row.problem, row.region, row.asn, minute)
                alike[at] = alike.get(at, 0) + 1
        increments: dict[tuple[SeriesKey, int], int] = {}
        series = self._series
        for (service, problem, place, asn, minute), k in alike.items():
            for region in _regions_of(place):
                key = (series(service, REPORTS, region), minute)
                increments[key] = increments.get(key, 0) + k
            key = (series(service, PROBLEM_PREFIX + problem, WORLD), minute)
            increments[key] = increments.get(key, 0) + k
            if asn:
                key = (series(service, NETWORK_REPORTS, asn), minute)
                increments[key] = increments.get(key, 0) + k
        counted = reason.count(0)
        duplicates = reason.count(1)
        return CountedReports(
            batch=_encode_rows(rows, ts, reporters, reason, counted),
            increments=increments,
            counted=counted,
            duplicates=duplicates,
            limited=n - counted - duplicates,
        )

    def _count_minute_rows(
        self,
        rows: Sequence[ReportRow],
        reporters: list[int],
        idx: Sequence[int],
        minute: int,
        reason: list[int],
    ) -> None:
        """`_count_minute`, one report after the other; the same rules in the same order."""
        recent = minute - self.dedupe_minutes
        seen: set[int] = set()
        network_used: dict[int, int] = {}
        reporter_used: dict[int, int] = {}
        persons: list[int] = []
        networks: dict[int, int] = {}
        chosen_reporters: dict[int, int] = {}
        for i in idx:
            code = _stable_code(rows[i].service)
            reporter = reporters[i]
            person = reporter ^ ((code * _SERVICE_MIX_INT) & _BITS64)
            # a person's repeat within the minute is a duplicate even when the first was limited
            if person in seen or self._seen.last_one(person) > recent:
                seen.add(person)
                reason[i] = 1
                continue
            seen.add(person)
            network = rows[i].network ^ ((code * _NETWORK_MIX_INT) & _BITS64)
            if _over(network_used, self._per_network, network, minute, self.network_limit):
                reason[i] = 2
                continue
            if _over(reporter_used, self._per_reporter, reporter, minute, self.reporter_limit):
                reason[i] = 3
                continue
            persons.append(person)
            networks[network] = networks.get(network, 0) + 1
            chosen_reporters[reporter] = chosen_reporters.get(reporter, 0) + 1
        if persons:
            self._seen.mark_ones(persons, minute)
            self._per_network.add_ones(networks, minute)
            self._per_reporter.add_ones(chosen_reporters, minute)

    def _count_minute(
        self, cols: ReportColumns, idx: npt.NDArray[np.intp], minute: int
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int8]]:
        # each window is asked about the distinct keys only, and the counted reports are then
        # written to the slots those look-ups found: one sort of each kind of key serves its
        # occurrence ranks, its distinct keys and the counted reports' tally
        person, network = self._keys(cols, idx)
        persons, person_of, person_rank = key_groups(person)
        last, seen = self._seen.last_found(persons, minute)
        fresh = (last[person_of] <= minute - self.dedupe_minutes) & (person_rank == 0)
        why = np.where(fresh, 0, 1).astype(np.int8)

        cand = np.flatnonzero(fresh)
        networks, network_of, network_rank = key_groups(network[cand])
        used, network_found = self._per_network.counts_found(networks, minute)
        over_network = used[network_of] + network_rank >= self.network_limit
        why[cand[over_network]] = 2

        rest = cand[~over_network]
        reporters, reporter_of, reporter_rank = key_groups(cols.reporter[idx][rest])
        used, reporter_found = self._per_reporter.counts_found(reporters, minute)
        over_reporter = used[reporter_of] + reporter_rank >= self.reporter_limit
        why[rest[over_reporter]] = 3

        ok = why == 0
        if ok.any():
            # each counted report is a person's first here: their groups are distinct
            self._seen.mark_found(seen, person_of[ok], minute)
            for window, found, group_of, among in (
                (self._per_network, network_found, network_of, cand),
                (self._per_reporter, reporter_found, reporter_of, rest),
            ):
                tally = np.bincount(group_of[ok[among]], minlength=found.keys.shape[0])
                at = np.flatnonzero(tally)
                window.add_found(found, at, tally[at], minute)
        return ok, why

    def _increments(
        self, cols: ReportColumns, counted: npt.NDArray[np.bool_]
    ) -> dict[tuple[SeriesKey, int], int]:
        out: dict[tuple[SeriesKey, int], int] = {}
        if not counted.any():
            return out
        svc = cols.service[counted].astype(np.int64)
        place = cols.place[counted].astype(np.int64)
        problem = cols.problem[counted].astype(np.int64)
        minute = cols.ts_ms[counted] // 60_000
        base = int(minute.min())
        offset = minute - base
        services = cols.services
        # every report counts in the world, its country and its city: the three are summed in
        # numpy, so Python only visits each (series, minute) once
        regions, world, country, city = _region_levels(cols.places)
        parts = [(svc, world[place], offset)]
        for level in (country, city):
            region = level[place]
            has = region >= 0
            parts.append((svc[has], region[has], offset[has]))
        self._add_codes(out, REPORTS, services, regions, parts, base)
        self._add_codes(
            out, PROBLEM_PREFIX, services, cols.problems, [(svc, problem, offset)], base
        )
        if cols.asn is not None:
            asn = cols.asn[counted].astype(np.int64)
            known = np.array([bool(label) for label in cols.asns], bool)[asn]
            part = (svc[known], asn[known], offset[known])
            self._add_codes(out, NETWORK_REPORTS, services, cols.asns, [part], base)
        return out

    def _add_codes(
        self,
        out: dict[tuple[SeriesKey, int], int],
        kind: str,
        services: tuple[str, ...],
        names: tuple[str, ...],
        parts: list[_Triples],
        base: int,
    ) -> None:
        """Counts each (service, name, minute - base) of the parts into `out`, by the series
        it names: thousands of series a busy minute, handed to the dict in C, in the order of
        the three (the same order whichever way they were counted)."""
        codes, offset, n = _tally(parts, len(services), len(names))
        if not n.size:
            return
        keys = self._keys_of(kind, services, names, codes.tolist())
        minutes = (offset + base).tolist()
        out.update(zip(zip(keys, minutes, strict=True), n.tolist(), strict=True))


# (service, name, minute - base) of each report, in three arrays
_Triples = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]
# a tally is counted in an array of every (service, name, minute) where that array is at most
# this many times the codes counted: one pass over them, where sorting them takes log n passes;
# a few codes (a small batch) are sorted, as a large array costs more to clear and scan
_DENSE_PER_CODE = 16


def _joined(codes: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return codes[0] if len(codes) == 1 else np.concatenate(codes)


def _tally(
    parts: list[_Triples], services: int, names: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct (service, name, offset) triples of the parts in ascending order, as the
    series' codes (service << 24 | name) and the offsets, and how often each came."""
    most = _DENSE_PER_CODE * sum(svc.shape[0] for svc, _, _ in parts)
    # the minutes' span is only read for a batch large enough to be counted in an array
    span = 1 + max(int(o.max()) for _, _, o in parts if o.size) if services * names <= most else 0
    size = services * names * span
    if span and size <= most:
        flat = _joined([(svc * names + name) * span + offset for svc, name, offset in parts])
        counts = np.bincount(flat, minlength=size)
        at = np.flatnonzero(counts)
        pair, offset_at = np.divmod(at, span)
        svc_at, name_at = np.divmod(pair, names)
        return (svc_at << 24) | name_at, offset_at, counts[at]
    packed = _joined([(svc << 44) | (name << 20) | offset for svc, name, offset in parts])
    uniq, n = np.unique(packed, return_counts=True)
    return uniq >> 20, uniq & 0xFFFFF, n


def _over(used: dict[int, int], window: WindowCounter, key: int, minute: int, limit: int) -> bool:
    """Whether a report of `key` goes over `limit`, with the reports before it this minute
    (`used`, which it joins, counted or not: the arrays rank every candidate alike)."""
    before = used.get(key)
    if before is None:
        before = window.count_one(key, minute)
    used[key] = before + 1
    return before >= limit


_LevelTable = tuple[
    tuple[str, ...], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]
]
_LEVELS: dict[tuple[str, ...], _LevelTable] = {}


def _region_levels(places: tuple[str, ...]) -> _LevelTable:
    """For a table of places: the regions they count in, and for each place the index of its
    world, country and city region (-1 where it has none)."""
    found = _LEVELS.get(places)
    if found is not None:
        return found
    regions: dict[str, int] = {WORLD: 0}
    world = np.zeros(len(places), np.int64)
    country = np.full(len(places), -1, np.int64)
    city = np.full(len(places), -1, np.int64)
    for i, place in enumerate(places):
        levels = _regions_of(place)
        if len(levels) > 1:
            country[i] = regions.setdefault(levels[1], len(regions))
        if len(levels) > 2:
            city[i] = regions.setdefault(levels[2], len(regions))
    found = (tuple(regions), world, country, city)
    if len(_LEVELS) >= 64:  # tables of ingested batches vary; keep the recent ones
        _LEVELS.pop(next(iter(_LEVELS)))
    _LEVELS[places] = found
    return found


# few places and services recur all day: each is worked out once (bounded, as names are)
@lru_cache(maxsize=65_536)
def _regions_of(region: str) -> tuple[str, ...]:
    if region == WORLD:
        return (WORLD,)
    if "/" in region:
        return (WORLD, region.split("/", 1)[0], region)
    return (WORLD, region)


def _hash64(text: str) -> int:
    """The reporter keys' hash (`rasd.ingest.reports.key_hash`), as the columns hold it."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


_stable_code = lru_cache(maxsize=65_536)(_hash64)


_REASONS = (None, "duplicate", "network", "reporter")
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder()


def columns_payload(cols: ReportColumns) -> dict[str, Any]:
    """Columns as msgpack takes them: each array's bytes, and the string tables. The raw
    batches in the store and the reports on the cluster's log are both made of it."""
    payload = {
        "ts_ms": cols.ts_ms.astype(np.int64).tobytes(),
        "service": cols.service.astype(np.int32).tobytes(),
        "problem": cols.problem.astype(np.int16).tobytes(),
        "place": cols.place.astype(np.int32).tobytes(),
        "reporter": cols.reporter.astype(np.uint64).tobytes(),
        "network": cols.network.astype(np.uint64).tobytes(),
        "services": list(cols.services),
        "problems": list(cols.problems),
        "places": list(cols.places),
    }
    if cols.asn is not None:
        payload["asn"] = cols.asn.astype(np.int32).tobytes()
        payload["asns"] = list(cols.asns)
    return payload


def columns_from(payload: dict[str, Any]) -> ReportColumns:
    """`columns_payload` read back; the arrays are views of its bytes."""
    asn = payload.get("asn")
    return ReportColumns(
        ts_ms=np.frombuffer(payload["ts_ms"], np.int64),
        service=np.frombuffer(payload["service"], np.int32),
        problem=np.frombuffer(payload["problem"], np.int16),
        place=np.frombuffer(payload["place"], np.int32),
        reporter=np.frombuffer(payload["reporter"], np.uint64),
        network=np.frombuffer(payload["network"], np.uint64),
        services=tuple(payload["services"]),
        problems=tuple(payload["problems"]),
        places=tuple(payload["places"]),
        asn=None if asn is None else np.frombuffer(asn, np.int32),
        asns=tuple(payload.get("asns", ())),
    )


def encode_batch(
    cols: ReportColumns, counted: npt.NDArray[np.bool_], reason: npt.NDArray[np.int8]
) -> RawBatch:
    """Raw reports as one blob: the columns, and why each report did not count."""
    payload = columns_payload(cols)
    payload["reason"] = reason.astype(np.int8).tobytes()
    return RawBatch(
        first_ms=int(cols.ts_ms.min()),
        last_ms=int(cols.ts_ms.max()),
        n=len(cols),
        counted=int(counted.sum()),
        data=_ENCODER.encode(payload),
    )


def _encode_rows(
    rows: Sequence[ReportRow], ts: list[int], reporters: list[int], reason: list[int], counted: int
) -> RawBatch:
    """`encode_batch` of the columns the rows make, the same bytes, without making them."""
    services: dict[str, int] = {}
    problems: dict[str, int] = {}
    places: dict[str, int] = {}
    service = [services.setdefault(row.service, len(services)) for row in rows]
    problem = [problems.setdefault(row.problem, len(problems)) for row in rows]
    place = [places.setdefault(row.region, len(places)) for row in rows]
    payload: dict[str, Any] = {
        "ts_ms": array("q", ts).tobytes(),
        "service": array(_INT32, service).tobytes(),
        "problem": array("h", problem).tobytes(),
        "place": array(_INT32, place).tobytes(),
        "reporter": array("Q", reporters).tobytes(),
        "network": array("Q", [row.network for row in rows]).tobytes(),
        "services": list(services),
        "problems": list(problems),
        "places": list(places),
    }
    if any(row.asn for row in rows):
        asns: dict[str, int] = {}
        asn = [asns.setdefault(row.asn, len(asns)) for row in rows]
        payload["asn"] = array(_INT32, asn).tobytes()
        payload["asns"] = list(asns)
    payload["reason"] = array("b", reason).tobytes()
    return RawBatch(
        first_ms=min(ts),
        last_ms=max(ts),
        n=len(rows),
        counted=counted,
        data=_ENCODER.encode(payload),
    )


# the array module's 4-byte signed integer (numpy's int32 column)
_INT32 = next(code for code in "ilh" if array(code).itemsize == 4)


def decode_batch(batch: RawBatch) -> tuple[ReportColumns, npt.NDArray[np.int8]]:
    payload = _DECODER.decode(batch.data)
    return columns_from(payload), np.frombuffer(payload["reason"], np.int8)


def batch_rows(batch: RawBatch) -> list[RawReport]:
    cols, reason = decode_batch(batch)
    names = np.array(cols.services, dtype=object)[cols.service].tolist()
    problems = np.array(cols.problems, dtype=object)[cols.problem].tolist()
    places = np.array(cols.places, dtype=object)[cols.place].tolist()
    reasons = np.array(_REASONS, dtype=object)[reason].tolist()
    return [
        RawReport(*row)
        for row in zip(
            cols.ts_ms.tolist(),
            names,
            problems,
            places,
            cols.reporter.view(np.int64).tolist(),
            cols.network.view(np.int64).tolist(),
            (reason == 0).tolist(),
            reasons,
            strict=True,
        )
    ]


def concat_columns(parts: list[ReportColumns]) -> ReportColumns:
    """One batch from many, their string tables merged (requests taken together)."""
    if len(parts) == 1:
        return parts[0]
    tables: dict[str, dict[str, int]] = {"services": {}, "problems": {}, "places": {}}
    columns: dict[str, list[npt.NDArray[Any]]] = {"service": [], "problem": [], "place": []}
    for part in parts:
        for column, table in (
            ("service", "services"),
            ("problem", "problems"),
            ("place", "places"),
        ):
            merged = tables[table]
            remap = np.array(
                [merged.setdefault(name, len(merged)) for name in getattr(part, table)], np.int64
            )
            columns[column].append(remap[getattr(part, column)])
    asn: npt.NDArray[np.int32] | None = None
    asns: dict[str, int] = {}
    if any(p.asn is not None for p in parts):
        pieces = []
        for part in parts:
            # a part without the column is on no known network: the empty label
            labels = part.asns if part.asn is not None else ("",)
            own = part.asn if part.asn is not None else np.zeros(len(part), np.int32)
            remap = np.array([asns.setdefault(label, len(asns)) for label in labels], np.int64)
            pieces.append(remap[own])
        asn = np.concatenate(pieces).astype(np.int32)
    return ReportColumns(
        ts_ms=np.concatenate([p.ts_ms for p in parts]),
        service=np.concatenate(columns["service"]).astype(np.int32),
        problem=np.concatenate(columns["problem"]).astype(np.int16),
        place=np.concatenate(columns["place"]).astype(np.int32),
        reporter=np.concatenate([p.reporter for p in parts]),
        network=np.concatenate([p.network for p in parts]),
        services=tuple(tables["services"]),
        problems=tuple(tables["problems"]),
        places=tuple(tables["places"]),
        asn=asn,
        asns=tuple(asns),
    )


# -- reports in columns, as the API and a replay publish them ------------------------------
# what is published as "reports": columns, or the rows of one request
Reports = ReportColumns | list[ReportRow]


def columns_of(rows: Sequence[ReportRow]) -> ReportColumns:
    if not rows:
        return make_columns([], [], [], [], [], [], [])
    ts, services, problems, regions, reporters, nets, labels = zip(*rows, strict=True)
    return make_columns(ts, services, problems, regions, reporters, nets, labels)


def as_columns(reports: Reports) -> ReportColumns:
    return reports if isinstance(reports, ReportColumns) else columns_of(reports)


def columns_together(parts: Sequence[Reports]) -> ReportColumns:
    """One batch of many requests' reports, in their order; rows side by side become columns
    in one go."""
    batches: list[ReportColumns] = []
    rows: list[ReportRow] = []
    for part in parts:
        if isinstance(part, ReportColumns):
            if rows:
                batches.append(columns_of(rows))
                rows = []
            batches.append(part)
        else:
            rows.extend(part)
    if rows:
        batches.append(columns_of(rows))
    return concat_columns(batches)


def make_columns(
    ts: Sequence[int],
    services: Sequence[str],
    problems: Sequence[str],
    regions: Sequence[str],
    reporters: Sequence[str],
    nets: Sequence[int],
    labels: Sequence[str],
) -> ReportColumns:
    service, service_names = _indexed(services)
    problem, problem_names = _indexed(problems)
    place, place_names = _indexed(regions)
    # no network data (or none known): no column, as the simulator's and older batches have
    asn, asn_names = _indexed(labels) if any(labels) else ([], ())
    return ReportColumns(
        ts_ms=np.array(ts, np.int64),
        service=np.array(service, np.int32),
        problem=np.array(problem, np.int16),
        place=np.array(place, np.int32),
        reporter=key_hashes(reporters),
        network=np.array(nets, np.uint64),
        services=service_names,
        problems=problem_names,
        places=place_names,
        asn=np.array(asn, np.int32) if asn_names else None,
        asns=asn_names,
    )


def key_hash(text: str) -> int:
    """64-bit hash of a reporter key or network; raw keys are never stored."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def key_hashes(texts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """`key_hash` of many keys at once, straight into an array."""
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(text.encode(), digest_size=8).digest() for text in texts])
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def _indexed(values: Sequence[str]) -> tuple[list[int], tuple[str, ...]]:
    """Each value as an index into the table of distinct values, in order of appearance."""
    table: dict[str, int] = {}
    return [table.setdefault(v, len(table)) for v in values], tuple(table)
