"""Query parameters shared by the read API: times, steps, languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rasd.errors import InvalidInput


def parse_time(value: str | None, field: str) -> datetime | None:
    """ISO 8601 (a time zone is required) or seconds since the epoch."""
    if value is None or value == "":
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(
            f"{field} is not a time: use ISO 8601 with a zone, or epoch seconds",
            details=[{"field": field, "reason": "not a time", "value": value}],
        ) from exc
    if parsed.tzinfo is None:
        raise InvalidInput(
            f"{field} needs a time zone, e.g. 2021-10-04T15:40:00Z",
            details=[{"field": field, "reason": "no time zone", "value": value}],
        )
    return parsed.astimezone(UTC)


def parse_step(value: str | None, default: int = 1) -> int:
    """Minutes: `15`, `15m`, `1h`, `1d`; from one minute to one day."""
    if value is None or value == "":
        return default
    units = {"m": 1, "h": 60, "d": 1440}
    text = value.strip().lower()
    factor = 1
    if text and text[-1] in units:
        factor = units[text[-1]]
        text = text[:-1]
    try:
        step = int(text) * factor
    except ValueError as exc:
        raise InvalidInput(
            "step is a number of minutes, or like 15m, 1h, 1d",
            details=[{"field": "step", "reason": "not a step", "value": value}],
        ) from exc
    if not 1 <= step <= 1440:
        raise InvalidInput(
            "step must be between one minute and one day",
            details=[{"field": "step", "reason": "out of range", "value": value}],
        )
    return step


def parse_lang(value: str | None) -> str:
    if value in (None, "", "en"):
        return "en"
    if value == "ar":
        return "ar"
    raise InvalidInput(
        "lang is en or ar", details=[{"field": "lang", "reason": "unknown", "value": value}]
    )


def parse_window(
    since: str | None, until: str | None, step: str | None, now: datetime
) -> tuple[datetime, datetime, int]:
    """A time range and its step: the last 24 hours by default, by minute up to six hours."""
    until_t = parse_time(until, "until") or now
    since_t = parse_time(since, "since") or until_t - timedelta(hours=24)
    if since_t >= until_t:
        raise InvalidInput(
            "since must be before until",
            details=[{"field": "since", "reason": "not before until"}],
        )
    step_m = parse_step(step, default=1 if until_t - since_t <= timedelta(hours=6) else 15)
    return since_t, until_t, step_m
