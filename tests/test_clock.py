from __future__ import annotations

from datetime import UTC, datetime

from rasd.clock import counted_until, minute_of

NOW = datetime(2021, 10, 4, 20, 9, 30, tzinfo=UTC)


def test_counts_are_complete_up_to_the_last_minute_ticked() -> None:
    current = minute_of(NOW)
    assert counted_until(current - 3, NOW) == current - 2
    # a tick is never of the current minute's future; nothing ticked yet leaves the clock's
    assert counted_until(current + 5, NOW) == current
    assert counted_until(None, NOW) == current
