"""Probe results: the wire format agents speak, and how the server turns results into evidence.

An agent asks the server for its checks and pushes what it saw. The server counts results per
minute into the `probes` series (per service, per check kind, per vantage point) and keeps the
recent results in memory, so it can say whether a failure is local (one vantage point) or the
service's own (a quorum of vantage points).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, Protocol

import msgspec
import numpy as np
import numpy.typing as npt

from rasd.clock import minute_of
from rasd.errors import InvalidInput, MalformedBody, field_error
from rasd.series import PROBES_FAILED, PROBES_TOTAL, PROBES_VANTAGE_OFFLINE, WORLD, SeriesKey

KINDS = ("dns", "http", "tcp")
AUTHORITATIVE = "authoritative"

OK = "ok"
NXDOMAIN = "nxdomain"
SERVFAIL = "servfail"
REFUSED = "refused"
TIMEOUT = "timeout"
HTTP_5XX = "http_5xx"
HTTP_4XX = "http_4xx"
TLS_ERROR = "tls_error"
CERT_EXPIRED = "cert_expired"
CONNECT_ERROR = "connect_error"
UNEXPECTED_CONTENT = "unexpected_content"
OUTCOMES = (
    OK,
    NXDOMAIN,
    SERVFAIL,
    REFUSED,
    TIMEOUT,
    HTTP_5XX,
    HTTP_4XX,
    TLS_ERROR,
    CERT_EXPIRED,
    CONNECT_ERROR,
    UNEXPECTED_CONTENT,
)

VANTAGE_PREFIX = "@"
MAX_BATCH_RESULTS = 10_000


class ProbeCheck(msgspec.Struct, frozen=True):
    id: str
    service: str
    kind: str  # "dns" | "http" | "tcp"
    target: str  # dns: hostname; http: URL; tcp: "host:port"
    # dns: "ip[:port]" of a resolver; None = the agent's own; "authoritative" = the zone's servers
    resolver: str | None = None
    expect_text: str | None = None
    interval_s: float = 60.0
    timeout_s: float = 5.0


class ProbeResult(msgspec.Struct):
    service: str
    check: str
    kind: str
    target: str
    vantage: str
    ts: datetime
    outcome: str
    latency_ms: float | None = None
    status: int | None = None
    rcode: str | None = None
    resolver: str | None = None
    cert_days_left: float | None = None
    detail: str | None = None
    # the vantage's canaries failed too when this result was judged: its own uplink was down,
    # so the result says nothing about the service and counts for nothing
    vantage_offline: bool = False

    @property
    def failed(self) -> bool:
        return self.outcome != OK


class ProbeCheckList(msgspec.Struct):
    """The body of `GET /api/v1/probes/checks`."""

    checks: list[ProbeCheck]


class ProbeBatch(msgspec.Struct):
    """The body of `POST /api/v1/probes/batch`.

    `id` lets the server drop a batch it already took (the agent re-sends when it did not hear
    the answer); `dropped` counts results the agent had to throw away since its last delivery.
    """

    id: str
    vantage: str
    results: list[ProbeResult]
    dropped: int = 0


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, eq=False)
class ProbeColumns:
    """Probe results as parallel arrays; the index columns point into the tables that follow.

    What a simulated round is drawn as: thousands of results a minute, made and handed on
    (through a pipe, to the counter and the state) as a few arrays, not an object each.
    `check` indexes `checks` (service, id, kind, target and resolver come from there),
    `vantage` indexes `vantages`, `outcome` indexes `OUTCOMES`; `latency_ms` is NaN where none
    was measured, `status` 0 where there is none, `rcode` -1 or an index into `rcodes`.
    Results with a certificate's days or a detail travel as objects (`ProbeResult`).
    `results()` gives the very objects the columns stand for.
    """

    ts_ms: npt.NDArray[np.int64]
    check: npt.NDArray[np.int32]
    vantage: npt.NDArray[np.int32]
    outcome: npt.NDArray[np.int8]
    latency_ms: npt.NDArray[np.float64]
    status: npt.NDArray[np.int16]
    rcode: npt.NDArray[np.int8]
    offline: npt.NDArray[np.bool_]
    checks: Sequence[ProbeCheck]
    vantages: Sequence[str]
    rcodes: Sequence[str] = ()

    def __post_init__(self) -> None:
        n = self.ts_ms.shape[0]
        for name in _PROBE_NAMES[1:]:
            if getattr(self, name).shape[0] != n:
                raise ValueError(f"column {name} has another length than ts_ms")

    def __len__(self) -> int:
        return int(self.ts_ms.shape[0])

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[ProbeResult]:
        return iter(self.results())

    def results(self) -> list[ProbeResult]:
        # each check's fields and each time's datetime made once: a round's 1,515 results
        # name a few hundred checks and a few times
        fields = [(c.service, c.id, c.kind, c.target, c.resolver) for c in self.checks]
        ts = self.ts_ms.tolist()
        times = {t: _EPOCH + timedelta(milliseconds=t) for t in set(ts)}
        vantages, rcodes = self.vantages, self.rcodes
        return [
            ProbeResult(
                service,
                check,
                kind,
                target,
                vantages[v],
                times[t],
                OUTCOMES[o],
                None if ms != ms else ms,  # NaN: none measured
                status or None,
                None if rcode < 0 else rcodes[rcode],
                resolver,
                None,
                None,
                offline,
            )
            for (
                service,
                check,
                kind,
                target,
                resolver,
            ), t, v, o, ms, status, rcode, offline in zip(
                map(fields.__getitem__, self.check.tolist()),
                ts,
                *(getattr(self, name).tolist() for name in _PROBE_NAMES[2:]),
                strict=True,
            )
        ]


# the columns of `ProbeColumns` and their types, in the order of its fields: what a process
# handing a round over as bytes sends and reads back
PROBE_COLUMNS: tuple[tuple[str, type[np.generic]], ...] = (
    ("ts_ms", np.int64),
    ("check", np.int32),
    ("vantage", np.int32),
    ("outcome", np.int8),
    ("latency_ms", np.float64),
    ("status", np.int16),
    ("rcode", np.int8),
    ("offline", np.bool_),
)
_PROBE_NAMES = tuple(name for name, _ in PROBE_COLUMNS)


def is_failure(outcome: str) -> bool:
    return outcome != OK


# --- the catalog, as far as probes need it (the catalog module is its own piece) ---


class EndpointLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def expect_text(self) -> str | None: ...


class ServiceLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def domains(self) -> Sequence[str]: ...
    @property
    def endpoints(self) -> Sequence[EndpointLike]: ...


def catalog_services(catalog: Any) -> list[Any]:
    """The services of a catalog: a sequence or mapping of them, or anything with `.services`."""
    source = getattr(catalog, "services", catalog)
    if callable(source):
        source = source()
    if isinstance(source, Mapping):
        return list(source.values())
    return list(source)


def checks_for_catalog(catalog: Any, resolvers: Sequence[str] = ()) -> list[ProbeCheck]:
    """Every check the agents should run: one per endpoint, DNS ones once per resolver.

    A DNS endpoint is asked through each given resolver (or the agent's own when none are given)
    and of its authoritative servers directly: telling those apart is how a broken resolver is
    told from a broken zone. A service without endpoints gets its first domain's name and home page.
    """
    checks: list[ProbeCheck] = []
    for service in catalog_services(catalog):
        endpoints = [(e.kind, e.target, e.expect_text) for e in service.endpoints]
        if not endpoints and service.domains:
            domain = service.domains[0]
            endpoints = [("dns", domain, None), ("http", f"https://{domain}/", None)]
        for kind, target, expect_text in endpoints:
            if kind == "dns":
                chosen: list[str | None] = [*resolvers] if resolvers else [None]
                for resolver in [*chosen, AUTHORITATIVE]:
                    checks.append(
                        ProbeCheck(
                            id=_check_id(service.id, kind, target, resolver),
                            service=service.id,
                            kind=kind,
                            target=target,
                            resolver=resolver,
                        )
                    )
            else:
                checks.append(
                    ProbeCheck(
                        id=_check_id(service.id, kind, target, None),
                        service=service.id,
                        kind=kind,
                        target=target,
                        expect_text=expect_text,
                    )
                )
    return checks


def _check_id(service: str, kind: str, target: str, resolver: str | None) -> str:
    base = f"{service}:{kind}:{target}"
    return f"{base}@{resolver}" if resolver else base


# --- wire ---

_check_list_decoder = msgspec.json.Decoder(ProbeCheckList)
_batch_decoder = msgspec.json.Decoder(ProbeBatch)
_encoder = msgspec.json.Encoder()


def encode(value: ProbeCheckList | ProbeBatch) -> bytes:
    return _encoder.encode(value)


def decode_check_list(body: bytes) -> ProbeCheckList:
    try:
        return _check_list_decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            "the check list does not match its schema", details={"reason": str(exc)}
        ) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody("the check list is not JSON", details={"reason": str(exc)}) from exc


def decode_batch(body: bytes) -> ProbeBatch:
    """A pushed batch, checked field by field; bad input raises before anything is taken."""
    try:
        batch = _batch_decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            "the batch does not match its schema", details={"reason": str(exc)}
        ) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody("the body is not JSON", details={"reason": str(exc)}) from exc
    problems: list[dict[str, Any]] = []
    if not batch.vantage or batch.vantage.startswith(VANTAGE_PREFIX):
        problems.append(field_error("vantage", "must be a non-empty name not starting with @"))
    if batch.dropped < 0:
        problems.append(field_error("dropped", "must not be negative"))
    if len(batch.results) > MAX_BATCH_RESULTS:
        problems.append(field_error("results", f"at most {MAX_BATCH_RESULTS} per batch"))
    for i, result in enumerate(batch.results):
        if result.kind not in KINDS:
            problems.append(field_error(f"results[{i}].kind", "unknown kind", value=result.kind))
        if result.outcome not in OUTCOMES:
            problems.append(
                field_error(f"results[{i}].outcome", "unknown outcome", value=result.outcome)
            )
        if result.ts.tzinfo is None:
            problems.append(field_error(f"results[{i}].ts", "must carry a time zone"))
        if result.vantage != batch.vantage:
            problems.append(field_error(f"results[{i}].vantage", "differs from the batch's"))
        if not result.service:
            problems.append(field_error(f"results[{i}].service", "must not be empty"))
        if len(problems) >= 20:
            break
    if problems:
        raise InvalidInput("the batch has invalid fields", details=problems)
    for result in batch.results:
        result.ts = result.ts.astimezone(UTC)
    return batch


# --- counts per minute ---


class ProbeCounter:
    """Counts results per minute into series: the world and each vantage point (`@name`).

    A result made while its vantage was offline counts only under that vantage, as tried and
    as `probes_vantage_offline`: it is no evidence about the service, so the world's series
    (which detection watches) never see it.
    """

    def __init__(self) -> None:
        # each kind of result (service, kind, vantage, failed, offline) by a number, and the
        # series it counts in as slots of `_series`, laid end to end: made once, a day of
        # results names the same few thousand series millions of times
        self._kinds: dict[tuple[str, str, str, bool, bool], int] = {}
        self._series: list[SeriesKey] = []
        self._slot_of: dict[SeriesKey, int] = {}
        self._spans: list[tuple[int, int]] = []  # (first place in _slots, how many)
        self._slots: list[int] = []
        self._arrays: tuple[npt.NDArray[np.int64], ...] | None = None
        self._made: tuple[npt.NDArray[np.int64], ...] = (np.zeros(0, np.int64),) * 3
        # for results in columns: the kind of each (check, vantage, failed, offline) of a
        # table of checks and vantages, -1 until met (by the tables' identity: a simulation
        # hands over the same ones all day)
        self._kind_tables: dict[int, tuple[Any, Any, npt.NDArray[np.int64]]] = {}

    def count(self, results: Iterable[ProbeResult]) -> dict[tuple[SeriesKey, int], int]:
        if isinstance(results, ProbeColumns):
            return self._count_columns(results)
        # tally the results' own fields first, in C: thousands of results a minute share a
        # few hundred of them (a round of one vantage shares its time)
        minute_at: dict[datetime, int] = {}
        kinds = self._kinds
        kind_ids: list[int] = []
        at: list[int] = []
        tally = Counter(map(_counted_fields, results))
        for service, kind, vantage, outcome, offline, ts in tally:
            kind_of = (service, kind, vantage, outcome != OK, offline)
            k = kinds.get(kind_of)
            kind_ids.append(self._learn(kind_of) if k is None else k)
            m = minute_at.get(ts)
            if m is None:
                m = minute_at[ts] = minute_of(ts)
            at.append(m)
        if not kind_ids:
            return {}
        return self._spread(
            np.asarray(kind_ids, np.int64),
            np.asarray(at, np.int64),
            np.fromiter(tally.values(), np.float64, len(tally)),
        )

    def _count_columns(self, cols: ProbeColumns) -> dict[tuple[SeriesKey, int], int]:
        """The counts `count` gives for `cols.results()`, without an object a result: each
        result's kind looked up in a table of the columns' (check, vantage, failed, offline)."""
        if not len(cols):
            return {}
        n_v = len(cols.vantages)
        table = self._kind_tables.get(id(cols.checks))
        if table is None or table[0] is not cols.checks or table[1] is not cols.vantages:
            table = (cols.checks, cols.vantages, np.full(len(cols.checks) * n_v * 4, -1))
            self._kind_tables[id(cols.checks)] = table
        kind_at = table[2]
        index = ((cols.check.astype(np.int64) * n_v + cols.vantage) * 2 + (cols.outcome != 0)) * 2
        index += cols.offline
        k = kind_at[index]
        missing = k < 0
        if missing.any():  # kinds not met in these tables before, learnt in the results' order
            new, first = np.unique(index[missing], return_index=True)
            for i in new[np.argsort(first, kind="stable")].tolist():
                pair, offline = divmod(i, 2)
                pair, failed = divmod(pair, 2)
                c, v = divmod(pair, n_v)
                check = cols.checks[c]
                kind_of = (check.service, check.kind, cols.vantages[v], bool(failed), bool(offline))
                known = self._kinds.get(kind_of)
                kind_at[i] = self._learn(kind_of) if known is None else known
            k = kind_at[index]
        minute = cols.ts_ms // 60_000
        low = int(minute.min())
        span = int(minute.max()) - low + 1
        # the (kind, minute) of each result, in the order first met, as the tally of objects
        # meets them: the same series in the same order
        code, first, weight = np.unique(
            k * span + (minute - low), return_index=True, return_counts=True
        )
        order = np.argsort(first, kind="stable")
        code = code[order]
        return self._spread(code // span, low + code % span, weight[order].astype(np.float64))

    def _spread(
        self,
        k_arr: npt.NDArray[np.int64],
        at: npt.NDArray[np.int64],
        weights: npt.NDArray[np.float64],
    ) -> dict[tuple[SeriesKey, int], int]:
        """Tallied kinds (with their minutes and how many) spread over their series."""
        # each tallied kind spread over its series in numpy: several series a kind, a few
        # thousand additions a round in Python were most of counting a round
        first, length, flat = self._tables()
        lengths = length[k_arr]
        entry = np.repeat(np.arange(k_arr.shape[0]), lengths)
        ends = np.cumsum(lengths)
        place = first[k_arr][entry] + np.arange(int(ends[-1])) - (ends - lengths)[entry]
        slot = flat[place]
        minute = at[entry]
        low = int(minute.min())
        span = int(minute.max()) - low + 1
        code = slot * span + (minute - low)
        unique, first_seen, inverse = np.unique(code, return_index=True, return_inverse=True)
        sums = np.bincount(inverse, weights=weights[entry])
        # in the order the series are first met, as counting result by result gives them (a
        # tick learns series it has not seen in the order they are handed over)
        order = np.argsort(first_seen, kind="stable")
        codes = unique[order]
        got = sums[order].astype(np.int64).tolist()
        series = self._series
        if span == 1:  # a round's results share their minute: the pairs made in C
            keys = itemgetter(*codes.tolist())(series) if len(got) > 1 else [series[int(codes[0])]]
            return dict(zip(zip(keys, repeat(low)), got, strict=True))
        return {
            (series[c // span], low + c % span): v for c, v in zip(codes.tolist(), got, strict=True)
        }

    def _learn(self, kind_of: tuple[str, str, str, bool, bool]) -> int:
        slot_of, series = self._slot_of, self._series
        slots = []
        for key in _series_of(*kind_of):
            slot = slot_of.get(key)
            if slot is None:
                slot = slot_of[key] = len(series)
                series.append(key)
            slots.append(slot)
        self._spans.append((len(self._slots), len(slots)))
        self._slots.extend(slots)
        self._arrays = None
        k = self._kinds[kind_of] = len(self._spans) - 1
        return k

    def _tables(self) -> tuple[npt.NDArray[np.int64], ...]:
        if self._arrays is None:
            # the kinds learnt since last time added to the arrays: a day learns a new kind
            # (a flaky check's first failure at some vantage) in most of its rounds, and
            # arrays made anew from all the lists took a third of counting a round
            old_first, old_length, old_flat = self._made
            done = old_first.shape[0]
            spans = np.asarray(self._spans[done:], np.int64).reshape(-1, 2)
            flat = np.asarray(self._slots[old_flat.shape[0] :], np.int64)
            self._made = self._arrays = (
                np.concatenate((old_first, spans[:, 0])),
                np.concatenate((old_length, spans[:, 1])),
                np.concatenate((old_flat, flat)),
            )
        return self._arrays


_counted_fields = attrgetter("service", "kind", "vantage", "outcome", "vantage_offline", "ts")


def _series_of(
    service: str, kind: str, vantage: str, failed: bool, offline: bool
) -> tuple[SeriesKey, ...]:
    own = VANTAGE_PREFIX + vantage
    signals = [PROBES_TOTAL, f"probe_{kind}_total"]
    if offline:
        signals.append(PROBES_VANTAGE_OFFLINE)
        return tuple(SeriesKey(service, signal, own) for signal in signals)
    if failed:
        signals += [PROBES_FAILED, f"probe_{kind}_failed"]
    return tuple(SeriesKey(service, signal, where) for where in (WORLD, own) for signal in signals)


class MinutesOf:
    """`minute_of` for times that come again and again (a round's results share theirs)."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[datetime, int] = {}

    def of(self, when: datetime) -> int:
        minute = self._seen.get(when)
        if minute is None:
            minute = self._seen[when] = minute_of(when)
        return minute

    def seen(self) -> Iterable[int]:
        """The minutes of every time asked about."""
        return self._seen.values()


# --- recent state and evidence ---


@dataclass(frozen=True)
class ProbeEvidence:
    """What the vantage points say about one service around one minute.

    A vantage point fails when every recent check of some kind failed there (all its DNS checks,
    or all its HTTP checks...): one bad resolver among several does not make it fail.
    `outcomes[kind][outcome]` counts the latest result of each check at each vantage point;
    `failing_checks[kind]` names the targets that failed, and `rcodes` the DNS answers seen.
    `level` is a suggestion in Downdetector's three steps: 0 nothing (or one vantage point
    alone: a local problem), 1 possible problems, 2 a quorum of vantage points fails.
    `offline_vantages` lost their own uplink (their canaries failed too): they take no part
    in the vote, neither failing nor healthy.
    """

    service: str
    minute: int
    failing_vantages: list[str]
    healthy_vantages: list[str]
    quorum: bool
    outcomes: dict[str, dict[str, int]]
    level: int
    failing_kinds: dict[str, list[str]] = field(default_factory=dict)
    failing_targets: dict[str, list[str]] = field(default_factory=dict)
    offline_vantages: list[str] = field(default_factory=list)

    @property
    def vantages(self) -> list[str]:
        return sorted(self.failing_vantages + self.healthy_vantages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "minute": self.minute,
            "failing_vantages": self.failing_vantages,
            "healthy_vantages": self.healthy_vantages,
            "quorum": self.quorum,
            "outcomes": self.outcomes,
            "level": self.level,
            "failing_kinds": self.failing_kinds,
            "failing_targets": self.failing_targets,
            "offline_vantages": self.offline_vantages,
        }


class VantageSeen:
    """What the server knows of one vantage point: when it last spoke, and whether its latest
    judged results said its own uplink was down."""

    __slots__ = ("name", "last_result_at", "last_offline_at", "last_online_at", "results",
                 "offline_results")  # fmt: skip

    def __init__(self, name: str) -> None:
        self.name = name
        self.last_result_at: datetime | None = None
        self.last_offline_at: datetime | None = None
        self.last_online_at: datetime | None = None
        self.results = 0
        self.offline_results = 0

    def add(self, result: ProbeResult) -> None:
        self.results += 1
        if self.last_result_at is None or result.ts > self.last_result_at:
            self.last_result_at = result.ts
        if result.vantage_offline:
            self.offline_results += 1
            if self.last_offline_at is None or result.ts > self.last_offline_at:
                self.last_offline_at = result.ts
        elif self.last_online_at is None or result.ts > self.last_online_at:
            self.last_online_at = result.ts

    @property
    def state(self) -> str:
        """`offline` while its newest results are those of a vantage without its uplink."""
        if self.last_offline_at is None:
            return "online"
        if self.last_online_at is not None and self.last_online_at > self.last_offline_at:
            return "online"
        return "offline"

    def to_dict(self) -> dict[str, Any]:
        return {
            "vantage": self.name,
            "state": self.state,
            "last_result_at": _iso(self.last_result_at),
            "last_online_at": _iso(self.last_online_at),
            "last_offline_at": _iso(self.last_offline_at),
            "results": self.results,
            "offline_results": self.offline_results,
        }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def quorum_size(vantages_seen: int) -> int:
    """How many vantage points must fail for the service itself to be failing."""
    return max(2, math.ceil(vantages_seen / 2))


# what evidence reads of one result: (vantage, kind, outcome, target, vantage_offline)
_Seen = tuple[str, str, str, str, bool]


class ProbeState:
    """Recent results per (service, check, vantage), in memory; bounded per key and by age.

    Evidence is asked for every service every minute: each result is kept as the few fields
    evidence reads (one shared tuple for results alike), and a service whose latest results
    read as they did at an earlier minute gets that minute's evidence again, worked out once.
    """

    def __init__(self, window_minutes: int = 5, per_key: int = 4) -> None:
        if window_minutes < 1 or per_key < 1:
            raise ValueError("window_minutes and per_key must be at least 1")
        self.window_minutes = window_minutes
        self._per_key = per_key
        # each result as (minute, time, what it saw), kept in the order fed
        self._recent: dict[str, dict[tuple[str, str], deque[tuple[int, datetime, _Seen]]]] = (
            defaultdict(dict)
        )
        # keys whose results were fed out of time order: they are searched in full
        self._unordered: set[tuple[str, tuple[str, str]]] = set()
        self._seen: dict[_Seen, _Seen] = {}
        # per service, evidence by the latest results it was worked out from (a few kept)
        self._worked: dict[str, dict[tuple[_Seen, ...], ProbeEvidence]] = {}
        self._vantages: dict[str, VantageSeen] = {}
        # results fed in columns find their keys' deques in a table of the columns' own
        # (`_FedTable`), good while no key is made or dropped behind its back: each such
        # change moves this on
        self._generation = 0
        self._fed_tables: dict[int, _FedTable] = {}
        # no minute kept is older than this (None: nothing kept)
        self._oldest: int | None = None

    def feed(self, results: Iterable[ProbeResult]) -> None:
        self._generation += 1
        minutes = MinutesOf()
        alike = self._seen
        for result in results:
            by_key = self._recent[result.service]
            key = (result.check, result.vantage)
            ts = result.ts
            kept = by_key.get(key)
            if kept is None:
                kept = by_key[key] = deque(maxlen=self._per_key)
            elif kept and ts < kept[-1][1]:
                self._unordered.add((result.service, key))
            seen = (result.vantage, result.kind, result.outcome, result.target,
                    result.vantage_offline)  # fmt: skip
            kept.append((minutes.of(ts), ts, alike.setdefault(seen, seen)))
            vantage = self._vantages.get(result.vantage)
            if vantage is None:
                vantage = self._vantages[result.vantage] = VantageSeen(result.vantage)
            vantage.add(result)
        self._kept_from(min(minutes.seen(), default=None))

    def _kept_from(self, minute: int | None) -> None:
        if minute is not None and (self._oldest is None or minute < self._oldest):
            self._oldest = minute

    def feed_columns(self, cols: ProbeColumns) -> None:
        """`feed(cols.results())` without an object a result: a round names each (check,
        vantage) once, so its results go to their keys' deques by one map in C, each kept as
        the same (minute, time, what it saw) the objects would leave."""
        n = len(cols)
        if not n:
            return
        table = self._fed_table(cols)
        pair = cols.check.astype(np.int64) * len(cols.vantages) + cols.vantage
        if np.bincount(pair).max() > 1:  # a key fed twice: its order is the objects' to keep
            self.feed(cols.results())
            return
        ts = cols.ts_ms
        for p in np.flatnonzero(ts < table.last_ms[pair]).tolist():  # earlier than its last
            self._unordered.add((table.services[pair[p]], table.keys[pair[p]]))
        table.last_ms[pair] = ts
        for p in pair[~table.made[pair]].tolist():  # new keys, in the results' order
            service, key = table.services[p], table.keys[p]
            kept = self._recent[service][key] = deque(maxlen=self._per_key)
            table.kept[p] = kept
            table.made[p] = True
        seen_at = (pair * len(OUTCOMES) + cols.outcome) * 2 + cols.offline
        missing = seen_at[~table.has_seen[seen_at]]
        if missing.shape[0]:
            self._learn_seen(table, cols, np.unique(missing).tolist())
        moments, at = np.unique(ts, return_inverse=True)
        times = np.empty(moments.shape[0], dtype=object)
        times[:] = [_EPOCH + timedelta(milliseconds=t) for t in moments.tolist()]
        minutes = (ts // 60_000).tolist()
        self._kept_from(min(minutes))
        entries = zip(minutes, times[at].tolist(), table.seen[seen_at].tolist(), strict=True)
        deque(map(deque.append, table.kept[pair].tolist(), entries), maxlen=0)
        self._heard(cols)

    def _fed_table(self, cols: ProbeColumns) -> _FedTable:
        table = self._fed_tables.get(id(cols.checks))
        if table is None or table.checks is not cols.checks or table.vantages is not cols.vantages:
            table = self._fed_tables[id(cols.checks)] = _FedTable(cols.checks, cols.vantages)
        if table.generation != self._generation:
            table.generation = self._generation
            for p, (service, key) in enumerate(zip(table.services, table.keys, strict=True)):
                kept = self._recent[service].get(key) if service in self._recent else None
                table.kept[p] = kept
                table.made[p] = kept is not None
                table.last_ms[p] = _ms(kept[-1][1]) if kept else _NEVER
        return table

    def _learn_seen(self, table: _FedTable, cols: ProbeColumns, places: list[int]) -> None:
        alike, n_v, n_o = self._seen, len(cols.vantages), len(OUTCOMES)
        for place in places:
            rest, offline = divmod(place, 2)
            pair, outcome = divmod(rest, n_o)
            c, v = divmod(pair, n_v)
            check = cols.checks[c]
            seen = (cols.vantages[v], check.kind, OUTCOMES[outcome], check.target, bool(offline))
            table.seen[place] = alike.setdefault(seen, seen)
            table.has_seen[place] = True

    def _heard(self, cols: ProbeColumns) -> None:
        """Each vantage of the columns, as `VantageSeen.add` of each of its results would
        leave it: how many, and the newest time of all, of those offline and of the rest."""
        n_v = len(cols.vantages)
        heard = np.bincount(cols.vantage, minlength=n_v)
        newest = _newest_by(cols.vantage, cols.ts_ms, n_v)
        offline = cols.offline
        if offline.any():
            n_off = np.bincount(cols.vantage[offline], minlength=n_v)
            newest_off = _newest_by(cols.vantage[offline], cols.ts_ms[offline], n_v)
            newest_on = _newest_by(cols.vantage[~offline], cols.ts_ms[~offline], n_v)
        else:
            n_off, newest_off, newest_on = np.zeros(n_v, np.int64), np.full(n_v, _NEVER), newest
        for v in np.flatnonzero(heard).tolist():
            name = cols.vantages[v]
            vantage = self._vantages.get(name)
            if vantage is None:
                vantage = self._vantages[name] = VantageSeen(name)
            vantage.results += int(heard[v])
            vantage.last_result_at = _later(vantage.last_result_at, int(newest[v]))
            if n_off[v]:
                vantage.offline_results += int(n_off[v])
                vantage.last_offline_at = _later(vantage.last_offline_at, int(newest_off[v]))
            if n_off[v] < heard[v]:
                vantage.last_online_at = _later(vantage.last_online_at, int(newest_on[v]))

    def vantages(self) -> list[VantageSeen]:
        """Every vantage point heard from since the server started, by name."""
        return [self._vantages[name] for name in sorted(self._vantages)]

    def services(self) -> list[str]:
        return sorted(self._recent)

    def forget_before(self, minute: int) -> None:
        """Drops results older than `minute`, so memory follows the number of checks, not time."""
        if self._oldest is None or self._oldest >= minute:
            return  # nothing kept is that old: no walk over every key (each round asks)
        oldest: int | None = None
        for service in list(self._recent):
            by_key = self._recent[service]
            for key in list(by_key):
                kept = by_key[key]
                while kept and kept[0][0] < minute:
                    kept.popleft()
                if not kept:
                    del by_key[key]
                    self._unordered.discard((service, key))
                    self._generation += 1
                elif oldest is None or kept[0][0] < oldest:
                    oldest = kept[0][0]
            if not by_key:
                del self._recent[service]
                self._worked.pop(service, None)
        self._oldest = oldest

    def evidence(self, service: str, minute: int) -> ProbeEvidence:
        return _at_minute(self._worked_out(service, minute), minute)

    def readings(self, minute: int) -> dict[str, ProbeEvidence]:
        """Every service's evidence at `minute`, sharing its lists and maps with the state's
        own: for a reader that changes none of them (the tick's cause hints, which read every
        service every minute; a copy of each cost more than working most of them out)."""
        return {
            service: self._worked_out(service, minute, said=True) for service in self.services()
        }

    def _worked_out(self, service: str, minute: int, *, said: bool = False) -> ProbeEvidence:
        """The evidence of the latest results, worked out once for them (`said`: as said at
        `minute`, kept so for the next reader of that minute)."""
        latest = self._latest(service, minute)
        worked = self._worked.setdefault(service, {})
        evidence = worked.get(latest)
        if evidence is None:
            if len(worked) >= _WORKED_KEPT:
                worked.clear()
            evidence = worked[latest] = _evidence_of(service, minute, latest)
        elif said and evidence.minute != minute:
            evidence = worked[latest] = _said_at(evidence, minute)
        return evidence

    def _latest(self, service: str, minute: int) -> tuple[_Seen, ...]:
        """The newest result of each key within the window ending at `minute`, in key order
        (the newest time; of results fed with the same time, the last fed)."""
        first = minute - self.window_minutes + 1
        unordered = self._unordered
        latest: list[_Seen] = []
        for key, kept in self._recent.get(service, {}).items():
            if unordered and (service, key) in unordered:
                best: tuple[int, datetime, _Seen] | None = None
                for entry in kept:
                    if first <= entry[0] <= minute and (best is None or entry[1] >= best[1]):
                        best = entry
                if best is not None:
                    latest.append(best[2])
                continue
            # fed in time order: the last one not after `minute` is the newest of the window
            for m, _, seen in reversed(kept):
                if m <= minute:
                    if m >= first:
                        latest.append(seen)
                    break
        return tuple(latest)

    def all_evidence(self, minute: int) -> dict[str, ProbeEvidence]:
        return {service: self.evidence(service, minute) for service in self.services()}


_NEVER = np.iinfo(np.int64).min


def _ms(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(milliseconds=1)


def _newest_by(
    group: npt.NDArray[np.int32], ts: npt.NDArray[np.int64], groups: int
) -> npt.NDArray[np.int64]:
    newest = np.full(groups, _NEVER, dtype=np.int64)
    np.maximum.at(newest, group, ts)
    return newest


def _later(when: datetime | None, ms: int) -> datetime:
    """The later of `when` and the time `ms`, as `VantageSeen.add` keeps it."""
    other = _EPOCH + timedelta(milliseconds=ms)
    return other if when is None or other > when else when


class _FedTable:
    """For results in columns of one table of checks and vantages: each (check, vantage) pair
    with its service, key and deque in the state, the time last fed to it, and what each of
    its outcomes is kept as."""

    def __init__(self, checks: Sequence[ProbeCheck], vantages: Sequence[str]) -> None:
        self.checks, self.vantages = checks, vantages
        n = len(checks) * len(vantages)
        self.services = [c.service for c in checks for _ in vantages]
        self.keys = [(c.id, v) for c in checks for v in vantages]
        self.generation = -1
        self.kept = np.empty(n, dtype=object)
        self.made = np.zeros(n, dtype=np.bool_)
        self.last_ms = np.full(n, _NEVER, dtype=np.int64)
        self.seen = np.empty(n * len(OUTCOMES) * 2, dtype=object)
        self.has_seen = np.zeros(n * len(OUTCOMES) * 2, dtype=np.bool_)


# evidence kept per service for the sets of latest results it was last worked out from
_WORKED_KEPT = 8


def _evidence_of(service: str, minute: int, latest: Sequence[_Seen]) -> ProbeEvidence:
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    per_vantage: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    failing_targets: dict[str, set[str]] = defaultdict(set)
    offline: set[str] = set()
    for vantage, kind, outcome, target, vantage_offline in latest:
        if vantage_offline:
            offline.add(vantage)
            continue
        outcomes[kind][outcome] += 1
        failed = outcome != OK
        per_vantage[vantage][kind].append(failed)
        if failed:
            failing_targets[kind].add(target)
    failing_kinds: dict[str, list[str]] = {}
    for vantage, kinds in per_vantage.items():
        dead = sorted(kind for kind, failed in kinds.items() if all(failed))
        if dead:
            failing_kinds[vantage] = dead
    failing = sorted(failing_kinds)
    healthy = sorted(v for v in per_vantage if v not in failing_kinds)
    seen = len(per_vantage)
    quorum = len(failing) >= quorum_size(seen) if seen else False
    if quorum:
        level = 2
    elif failing and (seen == 1 or len(failing) >= 2):
        # one vantage point alone cannot tell a local fault from the service's own
        level = 1
    else:
        level = 0
    return ProbeEvidence(
        service=service,
        minute=minute,
        failing_vantages=failing,
        healthy_vantages=healthy,
        quorum=quorum,
        outcomes={k: dict(v) for k, v in sorted(outcomes.items())},
        level=level,
        failing_kinds=failing_kinds,
        failing_targets={k: sorted(v) for k, v in sorted(failing_targets.items())},
        # a vantage with any check judged online still votes with those checks
        offline_vantages=sorted(offline - set(per_vantage)),
    )


def _said_at(evidence: ProbeEvidence, minute: int) -> ProbeEvidence:
    """The same evidence (its very lists and maps) as said at `minute`: made field by field,
    as `dataclasses.replace` walks the fields' descriptions each time (a hundred services a
    tick)."""
    return ProbeEvidence(
        evidence.service,
        minute,
        evidence.failing_vantages,
        evidence.healthy_vantages,
        evidence.quorum,
        evidence.outcomes,
        evidence.level,
        evidence.failing_kinds,
        evidence.failing_targets,
        evidence.offline_vantages,
    )


def _at_minute(evidence: ProbeEvidence, minute: int) -> ProbeEvidence:
    """The evidence worked out once, as said at `minute`: its own lists and maps, so that
    whoever holds one may change it without changing another's."""
    return ProbeEvidence(
        service=evidence.service,
        minute=minute,
        failing_vantages=list(evidence.failing_vantages),
        healthy_vantages=list(evidence.healthy_vantages),
        quorum=evidence.quorum,
        outcomes={k: dict(v) for k, v in evidence.outcomes.items()},
        level=evidence.level,
        failing_kinds={k: list(v) for k, v in evidence.failing_kinds.items()},
        failing_targets={k: list(v) for k, v in evidence.failing_targets.items()},
        offline_vantages=list(evidence.offline_vantages),
    )
