"""The request limiter's memory of clients: bounded, and cheap to keep bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import T0

import rasd.ingest.limits as limits
from rasd.clock import VirtualClock
from rasd.errors import RateLimited
from rasd.ingest.limits import RequestLimiter


def test_a_client_over_its_burst_waits() -> None:
    limiter = RequestLimiter(VirtualClock(T0), rate=1.0, burst=2)
    limiter.take("10.0.0.1")
    limiter.take("10.0.0.1")
    with pytest.raises(RateLimited):
        limiter.take("10.0.0.1")
    limiter.take("10.0.0.2")  # another address has its own bucket


def test_a_flood_of_new_addresses_keeps_memory_bounded_and_sweeps_seldom(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No bucket refills on a stopped clock: a sweep cannot free full ones, and still makes
    room for half as many new clients again."""
    monkeypatch.setattr(limits, "_MAX_CLIENTS", 100)
    limiter = RequestLimiter(VirtualClock(T0), rate=0.001, burst=5)
    sweeps = 0
    make_room = limiter._make_room

    def counted(now: float) -> None:
        nonlocal sweeps
        sweeps += 1
        make_room(now)

    limiter._make_room = counted  # type: ignore[method-assign]
    for i in range(1000):
        limiter.take(f"10.0.{i // 250}.{i % 250}")
        assert len(limiter._buckets) <= 100
    assert sweeps <= 1000 // 50  # one sweep per 50 new clients at most
    assert "10.0.3.249" in limiter._buckets  # the newest are remembered


def test_buckets_that_filled_up_again_are_forgotten_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "_MAX_CLIENTS", 10)
    clock = VirtualClock(T0)
    limiter = RequestLimiter(clock, rate=1.0, burst=5)
    limiter.take("busy", cost=5)  # empty: it must be remembered
    for i in range(9):
        limiter.take(f"quiet-{i}")
    clock.advance(timedelta(seconds=2))  # the quiet ones have filled up again; busy has not
    limiter.take("new")
    assert set(limiter._buckets) == {"busy", "new"}
    with pytest.raises(RateLimited):
        limiter.take("busy", cost=5)
