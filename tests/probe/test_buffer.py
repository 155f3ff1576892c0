from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rasd.probe.buffer import ResultBuffer
from rasd.signals.probes import ProbeResult

T0 = datetime(2021, 10, 4, 15, 40, tzinfo=UTC)


def _result(i: int) -> ProbeResult:
    return ProbeResult(
        service="facebook", check=f"c{i}", kind="tcp", target="x:1", vantage="eu",
        ts=T0 + timedelta(seconds=i), outcome="ok",
    )  # fmt: skip


def test_a_full_buffer_drops_the_oldest_and_counts_them() -> None:
    buffer = ResultBuffer(3)
    for i in range(5):
        buffer.add(_result(i))
    assert len(buffer) == 3
    assert (buffer.dropped, buffer.dropped_total) == (2, 2)
    assert [r.check for r in buffer.take(10)] == ["c2", "c3", "c4"]
    assert len(buffer) == 0


def test_take_hands_out_the_oldest_first_in_batches() -> None:
    buffer = ResultBuffer(10)
    for i in range(5):
        buffer.add(_result(i))
    assert [r.check for r in buffer.take(2)] == ["c0", "c1"]
    assert [r.check for r in buffer.take(2)] == ["c2", "c3"]
    assert len(buffer) == 1


def test_drops_are_settled_once_the_server_was_told() -> None:
    buffer = ResultBuffer(1)
    for i in range(4):
        buffer.add(_result(i))
    reported = buffer.dropped
    buffer.add(_result(9))  # one more dropped while the batch was on its way
    buffer.delivered(reported)
    assert (buffer.dropped, buffer.dropped_total) == (1, 4)
    buffer.discard(2)
    assert (buffer.dropped, buffer.dropped_total) == (3, 6)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ResultBuffer(0)
