"""The request limiter's memory of clients: bounded, and bounded at the same cost per request
whatever the flood of new addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import T0

import rasd.ingest.limits as limits
from rasd.clock import VirtualClock
from rasd.errors import RateLimited
from rasd.ingest.limits import RequestLimiter


def test_a_client_over_its_burst_waits_and_its_bucket_refills() -> None:
    clock = VirtualClock(T0)
    limiter = RequestLimiter(clock, rate=1.0, burst=2)
    limiter.take("10.0.0.1")
    limiter.take("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limiter.take("10.0.0.1")
    assert refused.value.retry_after == 1
    limiter.take("10.0.0.2")  # another address has its own bucket
    clock.advance(timedelta(seconds=1))
    limiter.take("10.0.0.1")
    with pytest.raises(RateLimited):
        limiter.take("10.0.0.1")


def test_a_flood_of_new_addresses_keeps_memory_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "_MAX_CLIENTS", 100)
    limiter = RequestLimiter(VirtualClock(T0), rate=0.001, burst=5)
    for i in range(1000):
        limiter.take(f"10.0.{i // 250}.{i % 250}")
        assert len(limiter) <= 100
    assert limiter.knows("10.0.3.249")  # the newest are remembered
    assert not limiter.knows("10.0.0.0")


def test_the_client_seen_least_recently_is_forgotten_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client that keeps sending stays remembered, limited, however many others come."""
    monkeypatch.setattr(limits, "_MAX_CLIENTS", 10)
    limiter = RequestLimiter(VirtualClock(T0), rate=0.001, burst=3)
    for _ in range(3):
        limiter.take("busy")
    for i in range(30):
        limiter.take(f"quiet-{i}")
        with pytest.raises(RateLimited):
            limiter.take("busy")  # seen again each time: never the least recent
    assert len(limiter) <= 10
    assert limiter.knows("busy") and not limiter.knows("quiet-0")


def test_a_forgotten_client_starts_with_a_full_bucket_and_a_known_one_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Generations turn over under a flood; a client kept across them keeps what it owes,
    one that was forgotten comes back as new (its bucket long full)."""
    monkeypatch.setattr(limits, "_MAX_CLIENTS", 8)
    clock = VirtualClock(T0)
    limiter = RequestLimiter(clock, rate=0.5, burst=2)
    limiter.take("kept")
    limiter.take("gone")
    for i in range(40):  # many turnovers of the generations
        limiter.take(f"flood-{i}")
        if i % 3 == 0:
            with pytest.raises(RateLimited):
                limiter.take("kept", cost=2)  # one token left: refused, and seen again
    assert limiter.knows("kept") and not limiter.knows("gone")
    limiter.take("kept")  # its last token
    with pytest.raises(RateLimited) as refused:
        limiter.take("kept")
    assert refused.value.retry_after == 2  # a token every two seconds
    limiter.take("gone")
    limiter.take("gone")
    clock.advance(timedelta(seconds=2))
    limiter.take("kept")


def test_the_bucket_never_holds_more_than_its_burst() -> None:
    clock = VirtualClock(T0)
    limiter = RequestLimiter(clock, rate=10.0, burst=3)
    limiter.take("a")
    clock.advance(timedelta(hours=1))
    for _ in range(3):
        limiter.take("a")
    with pytest.raises(RateLimited) as refused:
        limiter.take("a")
    assert refused.value.retry_after == 1
    with pytest.raises(RateLimited):
        limiter.take("b", cost=4)  # more than a full bucket can give
