"""The detection tick's results against the same worked out plainly from the bank's step."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from conftest import T0

from rasd.catalog import default_catalog
from rasd.clock import minute_of
from rasd.detect.bank import TickResult
from rasd.detect.fusion import SignalEvidence, fuse
from rasd.incidents import IncidentTracker
from rasd.pipeline.engine import DetectionEngine
from rasd.series import POSTS, PROBES_FAILED, PROBES_TOTAL, REPORTS, WORLD, SeriesKey
from rasd.store import Store

SERVICES = ["github", "discord", "telegram"]
COUNTRIES = ["DE", "FR", "US", "BR", "IN"]


class _Recorder(IncidentTracker):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, ...]] = []

    def update(self, *args: Any, **kw: Any) -> Any:
        self.calls.append(args)
        return super().update(*args, **kw)


def test_each_tick_fuses_and_tells_the_tracker_what_the_bank_gave(store: Store) -> None:
    catalog = default_catalog().subset(SERVICES)
    tracker = _Recorder()
    engine = DetectionEngine(store, catalog, tracker=tracker)
    rng = np.random.default_rng(11)
    keys = [SeriesKey(s, sig, WORLD) for s in SERVICES for sig in (REPORTS, POSTS)]
    keys += [SeriesKey(s, REPORTS, c) for s in SERVICES for c in COUNTRIES[:3]]
    start = minute_of(T0) - 2 * 1440
    engine.warm(start, keys, rng.poisson(6.0, size=(len(keys), 2 * 1440)).astype(float))
    steps: list[tuple[TickResult, np.ndarray]] = []
    step = engine.bank.step

    def kept_step(minute: int, counts: npt.ArrayLike) -> TickResult:
        result = step(minute, counts)
        steps.append((result, np.array(counts)))
        return result

    engine.bank.step = kept_step  # type: ignore[method-assign]
    first = start + 2 * 1440
    for m in range(first, first + 90):
        outage = 30 <= m - first < 60
        increments: dict[tuple[SeriesKey, int], int] = {}
        for key in keys:
            usual = 6.0 if key.region == WORLD else 2.0
            increments[(key, m)] = int(rng.poisson(usual * (30 if outage else 1)))
        if m - first >= 20:  # series the bank meets only now, world and countries
            for s in SERVICES:
                increments[(SeriesKey(s, PROBES_TOTAL, WORLD), m)] = 12
                increments[(SeriesKey(s, PROBES_FAILED, WORLD), m)] = 11 if outage else 0
                increments[(SeriesKey(s, REPORTS, COUNTRIES[4]), m)] = int(rng.poisson(3.0))
        engine.observe(increments)
        tracker.calls.clear()
        engine.tick(m)
        result, counts = steps[-1]
        bank_keys = engine.bank.keys
        expected = np.asarray(result.expected, np.float64)
        score = np.clip(result.score, 0.0, 1.0)
        told = {call[1]: call for call in tracker.calls}
        assert sorted(told) == sorted(SERVICES)
        for service in SERVICES:
            rows = [i for i, k in enumerate(bank_keys) if k.service == service]
            world = [i for i in rows if bank_keys[i].region == WORLD]
            evidence = [
                SignalEvidence(
                    bank_keys[i].signal,
                    float(counts[i]),
                    float(expected[i]),
                    float(score[i]),
                    int(result.level[i]),
                )
                for i in world
            ]
            fused = fuse(evidence)
            assert engine.fused[service] == fused, (m, service)
            reports = next(i for i in world if bank_keys[i].signal == REPORTS)
            regions = {
                bank_keys[i].region: (float(counts[i]), float(expected[i]))
                for i in rows
                if bank_keys[i].region != WORLD and counts[i] > expected[i]
            }
            minute, _, given, observed, usual, given_regions = told[service]
            assert (minute, given) == (m, fused)
            assert (observed, usual) == (float(counts[reports]), float(expected[reports]))
            # the same countries, in the same order
            assert list(given_regions.items()) == list(regions.items()), (m, service)
    assert any(call[5] for call in tracker.calls) or tracker.incidents()
