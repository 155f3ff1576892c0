from __future__ import annotations

import random

import pytest

from rasd.probe.schedule import Schedule
from rasd.signals.probes import ProbeCheck


def _check(cid: str, interval: float = 60.0) -> ProbeCheck:
    return ProbeCheck(id=cid, service="s", kind="tcp", target="h:1", interval_s=interval)


def test_first_runs_spread_over_one_interval() -> None:
    schedule = Schedule(rng=random.Random(7))
    schedule.replace([_check(f"c{i}") for i in range(200)], now=1000.0)
    first = schedule.pop_due(1030.0)
    # about half start within the first half of the interval, none before `now`
    assert 70 < len(first) < 130
    rest = schedule.pop_due(1060.0)
    assert {c.id for c in first} | {c.id for c in rest} == {f"c{i}" for i in range(200)}


def test_each_check_comes_back_one_jittered_interval_later() -> None:
    schedule = Schedule(scale=0.5, jitter=0.1, rng=random.Random(1))
    schedule.replace([_check("a", interval=10.0)], now=0.0)
    due = schedule.next_due()
    assert due is not None and 0.0 <= due <= 5.0
    assert [c.id for c in schedule.pop_due(due)] == ["a"]
    again = schedule.next_due()
    assert again is not None and due + 4.5 <= again <= due + 5.5
    assert schedule.pop_due(again - 0.01) == []


def test_a_late_agent_does_not_bunch_runs_up() -> None:
    schedule = Schedule(jitter=0.1, rng=random.Random(3))
    schedule.replace([_check("a", interval=10.0)], now=0.0)
    assert len(schedule.pop_due(1000.0)) == 1  # the agent was stuck far past the due time
    nxt = schedule.next_due()
    assert nxt is not None and nxt > 1000.0


def test_a_new_check_list_keeps_the_place_of_checks_that_stay() -> None:
    schedule = Schedule(rng=random.Random(5))
    schedule.replace([_check("a")], now=0.0)
    due_a = schedule.next_due()
    assert due_a is not None
    schedule.replace([_check("a"), _check("b", interval=1000.0)], now=0.0)
    assert len(schedule) == 2
    assert "a" in [c.id for c in schedule.pop_due(due_a)]
    schedule.replace([_check("b", interval=1000.0)], now=due_a)
    assert [c.id for c in schedule.pop_due(due_a + 500.0)] in ([], ["b"])
    assert "a" not in [c.id for c in schedule.pop_due(due_a + 2000.0)]


@pytest.mark.parametrize(("scale", "jitter"), [(0.0, 0.1), (1.0, 1.0), (1.0, -0.1)])
def test_bad_settings_are_refused(scale: float, jitter: float) -> None:
    with pytest.raises(ValueError):
        Schedule(scale=scale, jitter=jitter)
