from __future__ import annotations

import numpy as np

from rasd.sim.envelope import Envelope, Relapse


def _env(**kw: object) -> Envelope:
    base: dict[str, object] = dict(
        onset=1000, ramp=10, peak=20, sustain=1.0, fatigue=30, recovery=1060, decay=20
    )
    base.update(kw)
    return Envelope(**base)  # type: ignore[arg-type]


def test_nothing_before_onset_and_after_the_end() -> None:
    env = _env()
    levels = env.levels(900, 300)
    assert np.all(levels[:100] == 0.0)
    assert env.end == 1080
    assert np.all(levels[env.end - 900 :] == 0.0)
    assert levels[1080 - 900 - 1] > 0.0


def test_ramp_rises_to_the_plateau() -> None:
    levels = _env().levels(1000, 40)
    assert np.all(np.diff(levels[:11]) > 0)
    assert levels[10] == 1.0 and levels[30] == 1.0


def test_fatigue_settles_towards_sustain() -> None:
    levels = _env(sustain=0.4, fatigue=10, recovery=2000).levels(1000, 300)
    assert levels[30] == 1.0
    assert 0.4 < levels[60] < 1.0
    assert abs(levels[299] - 0.4) < 1e-3


def test_relapse_brings_the_level_back_after_recovery() -> None:
    relapse = Relapse(at=1100, ramp=5, hold=10, decay=5, level=0.5)
    env = _env(relapses=(relapse,))
    levels = env.levels(1000, 200)
    assert levels[90] == 0.0  # recovered
    assert levels[110] == 0.5  # failing again
    assert env.end == 1120
    assert levels[121] == 0.0


def test_zero_ramp_is_a_step() -> None:
    levels = _env(ramp=0).levels(999, 3)
    assert levels.tolist()[:2] == [0.0, 1.0]
