"""Scenarios on a bank warmed with a week of history (slow: the warm-up steps 10,080 minutes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rasd.detect import Level, SeriesBank
from rasd.series import SeriesKey

pytestmark = pytest.mark.slow

START = 27_000_000  # a minute, 2021-05-03 00:00 UTC (a Monday)
RATES = np.array([2 / 60, 1.0, 50.0, 3000.0])  # a quiet service ... a giant


def _shape(m: int) -> float:
    return float(0.3 + 0.7 * (1 + np.sin(2 * np.pi * ((m % 1440) / 60 - 6) / 24)))


@pytest.fixture(scope="module")
def warmed() -> tuple[SeriesBank, np.random.Generator]:
    rng = np.random.default_rng(1)
    bank = SeriesBank()
    for i in range(len(RATES)):
        bank.index(SeriesKey(f"s{i}", "reports"))
    history = np.stack([rng.poisson(RATES * _shape(START + j)) for j in range(7 * 1440)], axis=1)
    bank.warm(START, history)
    return bank, rng


def _clone(bank: SeriesBank) -> SeriesBank:
    return SeriesBank.from_state(bank.state())


def test_a_normal_day_raises_no_level(warmed: tuple[SeriesBank, np.random.Generator]) -> None:
    bank, rng = _clone(warmed[0]), np.random.default_rng(2)
    m0 = START + 7 * 1440
    worst = np.zeros(len(RATES), np.int8)
    for m in range(m0, m0 + 1440):
        res = bank.step(m, rng.poisson(RATES * _shape(m)).astype(float))
        worst = np.maximum(worst, res.level)
    assert worst.tolist() == [0, 0, 0, 0]
    assert np.all(res.score >= 0) and np.all(res.score <= 1)


def test_outages_are_detected_for_quiet_and_busy_series(
    warmed: tuple[SeriesBank, np.random.Generator],
) -> None:
    bank, rng = _clone(warmed[0]), np.random.default_rng(3)
    m0 = START + 7 * 1440 + 600
    extra = np.array([5.0, 10.0, 100.0, 0.0])
    levels = []
    for m in range(m0, m0 + 20):
        res = bank.step(m, rng.poisson(RATES * _shape(m) + extra).astype(float))
        levels.append(res.level.tolist())
    assert levels[-1][:3] == [Level.DETECTED] * 3
    assert levels[-1][3] == Level.OK
    assert np.all(res.expected[:3] < RATES[:3] * _shape(m0) * 1.5)  # not learnt from the outage


def test_a_few_reports_on_a_quiet_series_are_never_detected(
    warmed: tuple[SeriesBank, np.random.Generator],
) -> None:
    bank = _clone(warmed[0])
    m0 = START + 7 * 1440 + 600
    for m in range(m0, m0 + 30):
        res = bank.step(m, np.array([3.0, 1.0, 50.0, 3000.0 * _shape(m)]))
        assert res.level[0] < Level.DETECTED


def test_falling_to_zero_is_not_an_outage(warmed: tuple[SeriesBank, np.random.Generator]) -> None:
    bank = _clone(warmed[0])
    res = bank.step(START + 7 * 1440 + 600, np.zeros(len(RATES)))
    assert res.score.max() < 0.01


def test_peek_changes_nothing_and_expected_at_does_not_learn(
    warmed: tuple[SeriesBank, np.random.Generator],
) -> None:
    bank = _clone(warmed[0])
    m = START + 7 * 1440
    before = bank.expected_at(m + 5)
    peeked = bank.peek(m, np.full(len(RATES), 100.0))
    stepped = bank.step(m, np.full(len(RATES), 100.0))
    assert np.array_equal(peeked.score, stepped.score)
    assert np.array_equal(before, _clone(warmed[0]).expected_at(m + 5))


def test_state_survives_npz_and_continues_identically(
    warmed: tuple[SeriesBank, np.random.Generator], tmp_path: Path
) -> None:
    bank = _clone(warmed[0])
    np.savez(tmp_path / "bank.npz", **bank.state())  # type: ignore[arg-type]  # numpy's stub
    with np.load(tmp_path / "bank.npz") as data:
        again = SeriesBank.from_state(dict(data))
    assert again.keys == bank.keys and again.config() == bank.config()
    m = START + 7 * 1440
    x = np.array([4.0, 3.0, 80.0, 2000.0])
    a, b = bank.step(m, x), again.step(m, x)
    assert np.array_equal(a.score, b.score) and np.array_equal(a.expected, b.expected)


def test_a_restored_bank_alarms_exactly_as_one_that_never_stopped(
    warmed: tuple[SeriesBank, np.random.Generator], tmp_path: Path
) -> None:
    going_on = _clone(warmed[0])
    np.savez(tmp_path / "bank.npz", **_clone(warmed[0]).state())  # type: ignore[arg-type]
    with np.load(tmp_path / "bank.npz") as data:
        restarted = SeriesBank.from_state(dict(data))
    rng = np.random.default_rng(5)
    m0 = START + 7 * 1440
    levels = []
    for j in range(90):
        x = rng.poisson(RATES * _shape(m0 + j)).astype(np.float64)
        if 30 <= j < 50:  # an outage of the third series
            x[2] += 400.0
        a, b = going_on.step(m0 + j, x), restarted.step(m0 + j, x)
        for field in ("expected", "score", "level", "views"):
            assert np.array_equal(getattr(a, field), getattr(b, field)), (j, field)
        levels.append(int(a.level[2]))
    assert max(levels) == 2  # the outage was detected, the same way by both
    assert going_on.peek(m0 + 90, x).views.shape == (len(RATES),)
