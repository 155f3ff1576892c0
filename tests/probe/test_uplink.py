from __future__ import annotations

import random

from rasd.probe.uplink import Backoff, _retry_after


def test_backoff_grows_to_its_cap_and_starts_over() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(2))
    waits = [backoff.next_wait() for _ in range(12)]
    assert all(0.5 <= w <= 8.0 for w in waits)
    assert max(waits[6:]) > 2.0  # the ceiling has grown past the first steps
    backoff.reset()
    assert backoff.failures == 0
    assert backoff.next_wait() <= 1.0


def test_backoff_honours_retry_after_up_to_its_cap() -> None:
    backoff = Backoff(base=0.1, cap=5.0, rng=random.Random(2))
    assert backoff.next_wait(hint=3.0) == 3.0
    assert backoff.next_wait(hint=60.0) == 5.0


def test_retry_after_header() -> None:
    assert _retry_after("7") == 7.0
    assert _retry_after("soon") is None
    assert _retry_after(None) is None
