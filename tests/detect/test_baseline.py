from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from rasd.clock import minute_of
from rasd.detect.baseline import SeasonalBaseline, slots_of


def test_slots_interpolate_between_hour_centres() -> None:
    monday = minute_of(datetime(2021, 10, 4, 10, 30, tzinfo=UTC))
    d0, d1, w0, w1, t = slots_of(monday)
    assert (d0, d1, w0, w1) == (10, 11, 10, 11) and t == pytest.approx(0.5 / 60)
    d0, d1, _, _, t = slots_of(monday - 30)  # 10:00, between the 9h and 10h centres
    assert (d0, d1) == (9, 10) and t == pytest.approx(0.5 + 0.5 / 60)


def test_learns_a_daily_rhythm() -> None:
    b = SeasonalBaseline()
    b.resize(1)
    start = minute_of(datetime(2021, 9, 1, tzinfo=UTC))

    def rhythm(m: int) -> float:
        return float(100.0 * (1.5 + np.sin(2 * np.pi * (m % 1440) / 1440)))

    for m in range(start, start + 4 * 1440):
        b.learn(m, np.array([rhythm(m)]), np.ones(1))
    for hour in range(0, 24, 4):
        m = start + 4 * 1440 + hour * 60 + 30
        assert b.expected(m)[0] == pytest.approx(rhythm(m), rel=0.15)


def test_weight_zero_learns_nothing_and_state_round_trips() -> None:
    b = SeasonalBaseline()
    b.resize(2)
    b.learn(100, np.array([5.0, 7.0]), np.array([1.0, 0.0]))
    assert b.level.tolist() == pytest.approx([5.0, 0.0]) and b.seen.tolist() == [1.0, 0.0]
    c = SeasonalBaseline()
    c.load_state(b.state())
    assert np.array_equal(c.expected(101), b.expected(101))


def test_memory_per_series_is_under_a_kilobyte() -> None:
    b = SeasonalBaseline()
    b.resize(1000)
    assert b.nbytes_per_series() < 1024
