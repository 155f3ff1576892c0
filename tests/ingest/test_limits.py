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
        assert len(limiter._buckets) <= 100
    assert "10.0.3.249" in limiter._buckets  # the newest are remembered
    assert "10.0.0.0" not in limiter._buckets


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
    assert len(limiter._buckets) == 10
    assert "busy" in limiter._buckets and "quiet-0" not in limiter._buckets
