"""Simulated probe results: every check of every service from a few vantage points.

Checks are the ones the real agents would run for the catalog. Results are fine except for
rare one-off timeouts (noise a detector must ignore) and while an event's probe failure
holds, where the affected vantage points see the event's outcome per check kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rasd.clock import minute_of
from rasd.signals.probes import (
    AUTHORITATIVE,
    CONNECT_ERROR,
    HTTP_5XX,
    NXDOMAIN,
    OK,
    OUTCOMES,
    REFUSED,
    SERVFAIL,
    TIMEOUT,
    ProbeCheck,
    ProbeColumns,
    ProbeResult,
    checks_for_catalog,
)
from rasd.sim.keys import salt
from rasd.sim.scenario import ProbeFailure

IntArray = npt.NDArray[np.int64]

_RCODES = {OK: "NOERROR", SERVFAIL: "SERVFAIL", NXDOMAIN: "NXDOMAIN", REFUSED: "REFUSED"}
_RCODE_NAMES = tuple(_RCODES.values())
_STATUS = {OK: 200, HTTP_5XX: 503}
# typical answer times in ms, per check kind, when things work
_LATENCY = {"dns": 18.0, "authoritative": 35.0, "http": 160.0, "tcp": 45.0}


def _slot(check: ProbeCheck) -> str:
    """Which failure setting applies to a check."""
    if check.kind == "dns" and check.resolver == AUTHORITATIVE:
        return "authoritative"
    return check.kind


def pick_checks(catalog: Any, resolvers: Sequence[str], per_service: int) -> list[ProbeCheck]:
    """A few checks per service, one of each sort first (resolver DNS, authoritative, HTTP...)."""
    by_service: dict[str, list[ProbeCheck]] = {}
    for check in checks_for_catalog(catalog, resolvers):
        by_service.setdefault(check.service, []).append(check)
    chosen: list[ProbeCheck] = []
    for checks in by_service.values():
        firsts: dict[str, ProbeCheck] = {}
        for check in checks:
            firsts.setdefault(_slot(check), check)
        picked = list(firsts.values())
        picked += [c for c in checks if c not in picked]
        chosen.extend(picked[:per_service])
    return chosen


@dataclass
class _Failure:
    first: int
    end: int
    pairs: npt.NDArray[np.bool_]  # which (check, vantage) pairs it reaches
    outcome: IntArray  # outcome index per pair while it holds


class ProbeMaker:
    def __init__(
        self,
        catalog: Any,
        vantages: Sequence[str],
        resolvers: Sequence[str],
        per_service: int,
        failure_rate: float,
    ) -> None:
        self.checks = pick_checks(catalog, resolvers, per_service)
        self.vantages = list(vantages)
        n_v = len(self.vantages)
        self._check_of = np.repeat(np.arange(len(self.checks)), n_v)
        self._vantage_of = np.tile(np.arange(n_v), len(self.checks))
        slots = [_slot(c) for c in self.checks]
        self._slot_of = np.array(slots, dtype=object)[self._check_of]
        self._base_latency = np.array([_LATENCY[s] for s in slots])[self._check_of]
        self._timeout_ms = np.array([c.timeout_s * 1000 for c in self.checks])[self._check_of]
        self._failure_rate = failure_rate
        self._failures: list[_Failure] = []
        self._outcomes = list(OUTCOMES)
        self._timeout = self._outcomes.index(TIMEOUT)
        self._connect_error = self._outcomes.index(CONNECT_ERROR)
        # per outcome: the HTTP status (0: none) and the DNS answer (-1: none) it is seen as
        self._status_of = np.array([_STATUS.get(o, 0) for o in self._outcomes], np.int16)
        self._rcode_of = np.array(
            [_RCODE_NAMES.index(_RCODES[o]) if o in _RCODES else -1 for o in self._outcomes],
            np.int8,
        )
        kinds = np.array([c.kind for c in self.checks], dtype=object)[self._check_of]
        self._is_http = kinds == "http"
        self._is_dns = kinds == "dns"
        self._vantage_offset_ms = np.array([(7 + 11 * v) % 60 * 1000 for v in range(n_v)])

    def add_failure(self, event_id: str, services: Sequence[str], failure: ProbeFailure) -> None:
        wanted = set(services)
        hits_service = np.array([c.service in wanted for c in self.checks])[self._check_of]
        n_v = len(self.vantages)
        failing = max(1, int(np.ceil(failure.vantage_share * n_v)))
        order = np.random.Generator(np.random.PCG64(salt("vantages", event_id))).permutation(n_v)
        hit_vantage = np.isin(self._vantage_of, order[:failing])
        outcome = np.array(
            [self._outcomes.index(getattr(failure, slot)) for slot in self._slot_of],
            dtype=np.int64,
        )
        self._failures.append(
            _Failure(
                first=minute_of(failure.start),
                end=minute_of(failure.end),
                pairs=hits_service & hit_vantage,
                outcome=outcome,
            )
        )

    def tables(self) -> tuple[list[ProbeCheck], list[str], tuple[str, ...]]:
        """What the columns of `make_columns` point into."""
        return self.checks, self.vantages, _RCODE_NAMES

    def make(self, rng: np.random.Generator, minute: int) -> list[ProbeResult]:
        return self.make_columns(rng, minute).results()

    def make_columns(self, rng: np.random.Generator, minute: int) -> ProbeColumns:
        """A round's results as columns (`make` gives them as objects: the same results)."""
        n = self._check_of.shape[0]
        outcome = np.zeros(n, dtype=np.int64)  # OUTCOMES[0] is ok
        flaky = rng.random(n) < self._failure_rate
        outcome[flaky] = self._timeout
        for failure in self._failures:
            if failure.first <= minute < failure.end:
                outcome = np.where(failure.pairs, failure.outcome, outcome)
        latency = self._base_latency * rng.lognormal(0.0, 0.35, size=n)
        latency = np.where(outcome == self._timeout, self._timeout_ms, latency)
        latency = np.where(outcome == self._connect_error, latency * 0.2, latency)
        # an agent runs its checks together, a few seconds apart from the other agents
        ts_ms = minute * 60_000 + self._vantage_offset_ms[self._vantage_of]
        return ProbeColumns(
            ts_ms,
            self._check_of.astype(np.int32),
            self._vantage_of.astype(np.int32),
            outcome.astype(np.int8),
            np.round(latency, 1),
            np.where(self._is_http, self._status_of[outcome], 0).astype(np.int16),
            np.where(self._is_dns, self._rcode_of[outcome], -1).astype(np.int8),
            np.zeros(n, dtype=np.bool_),
            *self.tables(),
        )
