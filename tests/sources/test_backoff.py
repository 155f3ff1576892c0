import asyncio

import pytest

from rasd.sources import Backoff


def test_delays_grow_to_the_cap_with_jitter_inside_the_ceiling() -> None:
    backoff = Backoff(base=1.0, cap=8.0, seed=7)
    delays = [backoff.next() for _ in range(10)]
    ceilings = [min(8.0, 2.0**n) for n in range(10)]
    assert all(0.0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered, not a fixed ladder


def test_same_seed_same_delays_and_reset_starts_over() -> None:
    a, b = Backoff(seed=3), Backoff(seed=3)
    assert [a.next() for _ in range(5)] == [b.next() for _ in range(5)]
    a.reset()
    assert a.failures == 0 and a.next() <= 1.0


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        Backoff(base=0)
    with pytest.raises(ValueError):
        Backoff(base=5, cap=1)


async def test_wait_returns_early_and_false_when_stopped() -> None:
    stop = asyncio.Event()
    backoff = Backoff(base=1000.0, cap=1000.0, seed=1)
    backoff.failures = 5
    waiting = asyncio.create_task(backoff.wait(stop))
    await asyncio.sleep(0)
    stop.set()
    assert await asyncio.wait_for(waiting, timeout=5) is False
