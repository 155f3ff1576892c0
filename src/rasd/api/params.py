"""Query parameters shared by the read API: times, steps, languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Query
from pydantic import AfterValidator, WithJsonSchema

from rasd.errors import InvalidInput
from rasd.locale import languages

# the language of names and words in an answer, declared as the framework checks it: each
# language with a catalog when the process starts (a translator's catalog adds one)
_LANGUAGES = languages()
if TYPE_CHECKING:
    LangCode = str
else:
    LangCode = Literal[(*_LANGUAGES, "")]
Lang = Annotated[
    LangCode | None,
    Query(
        description=f"The language of names and words: {' or '.join(_LANGUAGES)} "
        "(en when absent or empty)."
    ),
]


# a time as the API takes it: RFC 3339 (a zone is required) or seconds since the epoch
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))"
)
EPOCH_SECONDS = r"[0-9]{1,11}(?:\.[0-9]+)?"
_EPOCH = re.compile(EPOCH_SECONDS)
TIME_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "pattern": f"^{EPOCH_SECONDS}$"},
        {"type": "string", "maxLength": 0},
    ],
    "description": "RFC 3339 with a zone (2021-10-04T15:40:00Z) or epoch seconds; empty is none",
}
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def parse_time(value: str | None, field: str) -> datetime | None:
    """RFC 3339 (a time zone is required) or seconds since the epoch, as TIME_SCHEMA says."""
    if value is None or value == "":
        return None
    try:
        return _time_of(value)
    except ValueError as exc:
        raise InvalidInput(
            f"{field} is {exc}",
            details=[{"field": field, "reason": "not a time", "value": value}],
        ) from exc


def _time_of(value: str) -> datetime:
    if _EPOCH.fullmatch(value):
        return datetime.fromtimestamp(float(value), UTC)
    parts = _RFC3339.fullmatch(value)
    if parts is None:
        raise ValueError("not a time: use RFC 3339 with a zone, or epoch seconds")
    year, month, day, hour, minute, second, fraction, z, sign, off_h, off_m = parts.groups()
    try:
        offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
        when = datetime(
            max(int(year), 1),  # year 0 is a time, but before the calendar's first
            int(month),
            int(day),
            int(hour),
            int(minute),
            min(int(second), 59),  # a leap second is the second before it
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=UTC if z else timezone(-offset if sign == "-" else offset),
        )
    except ValueError as exc:
        raise ValueError(f"not a time: {exc}") from exc
    try:
        return when.astimezone(UTC)
    except OverflowError:  # within a day of the first or last time there is
        return _EARLIEST if when.year == 1 else _LATEST


def _checked_time(value: str | None) -> str | None:
    if value:
        _time_of(value)  # its ValueError is the framework's 422, naming the parameter
    return value


# since and until: declared and checked at once, read with parse_time
Time = Annotated[str | None, Query(), WithJsonSchema(TIME_SCHEMA), AfterValidator(_checked_time)]


# a step: minutes (15 or 15m), hours (1h) or one day (1d), from one minute to one day
STEP = (
    r"0*(?:[1-9][0-9]{0,2}|1[0-3][0-9]{2}|14[0-3][0-9]|1440)[mM]?"
    r"|0*(?:[1-9]|1[0-9]|2[0-4])[hH]|0*1[dD]"
)
_STEP = re.compile(STEP)
_UNITS = {"m": 1, "h": 60, "d": 1440}


def parse_step(value: str | None, default: int = 1) -> int:
    """Minutes: `15`, `15m`, `1h`, `1d`; from one minute to one day."""
    if value is None or value == "":
        return default
    if not _STEP.fullmatch(value):
        raise InvalidInput(
            "step is a number of minutes, or like 15m, 1h, 1d, from one minute to one day",
            details=[{"field": "step", "reason": "not a step", "value": value}],
        )
    text = value.lower()
    factor = _UNITS.get(text[-1], 1)
    return int(text.rstrip("mhd")) * factor


# a step as the series routes take it: declared and checked at once, read with parse_step
Step = Annotated[
    str | None,
    Query(pattern=f"^(?:{STEP})?$", description="15 or 15m (minutes), 1h, 1d: a minute to a day"),
]


def parse_lang(value: str | None) -> str:
    if value in (None, "", "en"):
        return "en"
    if value in _LANGUAGES:
        return str(value)
    raise InvalidInput(
        f"lang is {' or '.join(_LANGUAGES)}",
        details=[{"field": "lang", "reason": "unknown", "value": value}],
    )


# the times a window may span: from the epoch to a year ahead (others are taken at the edge)
_FIRST = datetime(1970, 1, 1, tzinfo=UTC)
MAX_POINTS = 20_000


def parse_window(
    since: str | None, until: str | None, step: str | None, now: datetime
) -> tuple[datetime, datetime, int]:
    """A time range and its step: the last 24 hours by default, by minute up to six hours.

    A range that ends before it starts is empty (since is taken at until); a step that would
    give more than MAX_POINTS points is made larger, up to a day, and a range longer than
    MAX_POINTS days keeps its last ones."""
    last = now + timedelta(days=366)
    until_t = min(max(parse_time(until, "until") or now, _FIRST), last)
    since_t = parse_time(since, "since") or until_t - timedelta(hours=24)
    since_t = min(max(since_t, _FIRST), until_t)
    step_m = parse_step(step, default=1 if until_t - since_t <= timedelta(hours=6) else 15)
    minutes = int((until_t - since_t).total_seconds() // 60) + 1
    if minutes > step_m * MAX_POINTS:
        step_m = min(1440, -(-minutes // MAX_POINTS))
        since_t = max(since_t, until_t - timedelta(minutes=step_m * (MAX_POINTS - 1)))
    return since_t, until_t, step_m
