from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from rasd.clock import minute_of
from rasd.sim.rhythm import local_minutes, rhythm


def _at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return minute_of(datetime(year, month, day, hour, minute, tzinfo=UTC))


def test_night_is_lower_than_evening_in_local_time() -> None:
    day = _at(2024, 3, 5)  # a Tuesday
    levels = rhythm([("Asia/Tokyo", (5, 6)), ("America/Los_Angeles", (5, 6))], day, 1440)
    # 04:00 and 20:00 local: Tokyo is UTC+9, Los Angeles UTC-8 in March before DST
    tokyo_night, tokyo_evening = levels[0, (4 - 9) % 24 * 60], levels[0, (20 - 9) % 24 * 60]
    la_night, la_evening = levels[1, (4 + 8) * 60], levels[1, (20 + 8) % 24 * 60]
    assert tokyo_night < 0.3 * tokyo_evening
    assert la_night < 0.3 * la_evening
    # the same UTC minute is night in one place and evening in the other
    assert levels[0, 19 * 60] < levels[1, 19 * 60]


def test_week_averages_one() -> None:
    monday = _at(2024, 3, 4)
    levels = rhythm([("UTC", (5, 6))], monday, 7 * 1440)
    assert abs(levels.mean() - 1.0) < 1e-9


def test_days_off_follow_the_country() -> None:
    friday_morning = _at(2024, 3, 8, 6)  # 08:00 in Cairo
    levels = rhythm([("Africa/Cairo", (4, 5)), ("Africa/Cairo", (5, 6))], friday_morning, 1)
    assert levels[0, 0] < levels[1, 0]  # a late start on a day off


def test_daylight_saving_moves_local_time() -> None:
    before = local_minutes("Europe/Berlin", _at(2024, 3, 30, 12), 1)[0] - _at(2024, 3, 30, 12)
    after = local_minutes("Europe/Berlin", _at(2024, 4, 1, 12), 1)[0] - _at(2024, 4, 1, 12)
    assert (before, after) == (60, 120)


def test_rhythm_is_continuous_across_hours() -> None:
    levels = rhythm([("Europe/Paris", (5, 6))], _at(2024, 3, 5), 1440)[0]
    assert np.max(np.abs(np.diff(levels))) < 0.02
