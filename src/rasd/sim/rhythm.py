"""The daily and weekly rhythm of problem reports, in each place's local time.

People report problems when they use a service: few at 4 in the morning, most in the evening.
On days off the morning starts later and the day is flatter. The curves are relative: their
mean over a week is 1, so a service's daily volume stays what its popularity says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Relative report volume at the start of each local hour (0h..23h).
_WORKDAY = (
    0.55, 0.38, 0.27, 0.21, 0.19, 0.23, 0.38, 0.62, 0.85, 1.00, 1.08, 1.12,
    1.15, 1.15, 1.13, 1.12, 1.15, 1.22, 1.32, 1.42, 1.50, 1.45, 1.20, 0.85,
)  # fmt: skip
_DAY_OFF = (
    0.70, 0.50, 0.36, 0.27, 0.22, 0.22, 0.28, 0.40, 0.58, 0.80, 0.98, 1.08,
    1.14, 1.16, 1.15, 1.14, 1.16, 1.20, 1.27, 1.35, 1.40, 1.36, 1.15, 0.88,
)  # fmt: skip
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday; Monday = 0

# A rhythm key: a time zone and the local days off.
RhythmKey = tuple[str, tuple[int, ...]]


@cache
def _curves() -> tuple[FloatArray, FloatArray]:
    """Per-minute workday and day-off curves, scaled so a week of five plus two averages 1."""
    hours = np.arange(25, dtype=np.float64) * 60
    minutes = np.arange(1440, dtype=np.float64)
    work = np.interp(minutes, hours, np.array([*_WORKDAY, _WORKDAY[0]]))
    off = np.interp(minutes, hours, np.array([*_DAY_OFF, _DAY_OFF[0]]))
    weekly_mean = (5 * work.mean() + 2 * off.mean()) / 7
    return work / weekly_mean, off / weekly_mean


def _offsets_by_hour(tz: str, first_hour: int, n_hours: int) -> npt.NDArray[np.int64]:
    """UTC offset in minutes at the start of each UTC hour (time zones change on the hour)."""
    zone = ZoneInfo(tz)
    out = np.empty(n_hours, dtype=np.int64)
    for i in range(n_hours):
        offset = datetime.fromtimestamp((first_hour + i) * 3600, UTC).astimezone(zone).utcoffset()
        out[i] = int(offset.total_seconds()) // 60 if offset is not None else 0
    return out


def local_minutes(tz: str, first_minute: int, n_minutes: int) -> npt.NDArray[np.int64]:
    """Minutes since the epoch on the local wall clock, for each UTC minute."""
    first_hour = first_minute // 60
    n_hours = (first_minute + n_minutes - 1) // 60 - first_hour + 1
    offsets = np.repeat(_offsets_by_hour(tz, first_hour, n_hours), 60)
    skip = first_minute - first_hour * 60
    utc = np.arange(first_minute, first_minute + n_minutes, dtype=np.int64)
    local: npt.NDArray[np.int64] = utc + offsets[skip : skip + n_minutes]
    return local


def rhythm(keys: Sequence[RhythmKey], first_minute: int, n_minutes: int) -> FloatArray:
    """Relative report volume, shape (len(keys), n_minutes), for each key's local time."""
    work, off = _curves()
    out = np.empty((len(keys), n_minutes), dtype=np.float64)
    for row, (tz, weekend) in enumerate(keys):
        local = local_minutes(tz, first_minute, n_minutes)
        of_day = local % 1440
        weekday = (local // 1440 + _EPOCH_WEEKDAY) % 7
        day_off = np.isin(weekday, np.array(weekend, dtype=np.int64))
        out[row] = np.where(day_off, off[of_day], work[of_day])
    return out
