import pytest

from rasd.correlate.spillover import SpilloverRule

RULE = SpilloverRule(min_delay=3, window=240, ratio=0.5)


@pytest.mark.parametrize(
    ("start", "peak_ratio", "failing", "expected"),
    [
        (110, 5.0, False, True),  # later, smaller, healthy: an echo
        (110, 5.0, True, False),  # its own probes fail: an outage of its own
        (101, 5.0, False, False),  # at the same time: not an echo
        (99, 5.0, False, False),  # before the event
        (400, 5.0, False, False),  # long after
        (110, 60.0, False, False),  # as large as the event
        (110, 50.0, False, True),  # exactly half
    ],
)
def test_spillover_rule(start: int, peak_ratio: float, failing: bool, expected: bool) -> None:
    assert RULE.applies(start, peak_ratio, 100, 100.0, failing) is expected


def test_an_echo_stops_being_one() -> None:
    assert RULE.still_applies(5.0, 100.0, failing=False)
    assert not RULE.still_applies(5.0, 100.0, failing=True)
    assert not RULE.still_applies(80.0, 100.0, failing=False)
