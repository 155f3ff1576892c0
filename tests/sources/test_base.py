from datetime import UTC, datetime, timedelta

from rasd.clock import VirtualClock
from rasd.sources import SourceStatus

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_snapshot_has_the_documented_shape_and_states() -> None:
    clock = VirtualClock(T0)
    status = SourceStatus("bluesky", "posts", clock=clock)
    snap = status.snapshot()
    assert snap["state"] == "idle" and snap["kind"] == "posts"
    assert set(snap) == {
        "name", "kind", "state", "endpoint", "since", "last_item_at", "lag_seconds", "cursor",
        "per_minute", "totals", "reconnects", "last_error", "last_error_at", "detail",
    }  # fmt: skip
    status.connecting("ws://127.0.0.1:1/subscribe")
    status.connected()
    status.cursor(1779719009157119)
    status.lag(2.5)
    snap = status.snapshot()
    assert snap["state"] == "connected" and snap["endpoint"] == "ws://127.0.0.1:1/subscribe"
    assert snap["since"] == "2026-12-06T12:00:00Z" and snap["cursor"] == "1779719009157119"
    status.offline("RASD_OFFLINE: only loopback addresses")
    assert status.snapshot()["state"] == "offline"
    status.failed("x" * 2000)
    snap = status.snapshot()
    assert snap["state"] == "error" and len(snap["last_error"]) == 500


def test_rates_cover_the_last_minute_and_totals_all_time() -> None:
    clock = VirtualClock(T0)
    status = SourceStatus("s", "posts", clock=clock)
    status.seen(100)
    status.matched(3)
    status.counted(2)
    clock.advance(timedelta(seconds=30))
    status.seen(50)
    assert status.per_minute() == {"seen": 150, "matched": 3, "counted": 2}
    clock.advance(timedelta(seconds=45))
    assert status.per_minute() == {"seen": 50, "matched": 0, "counted": 0}
    assert status.snapshot()["totals"] == {"seen": 150, "matched": 3, "counted": 2}
    assert status.snapshot()["last_item_at"] == "2026-12-06T12:00:30Z"
    clock.advance(timedelta(minutes=5))
    assert status.per_minute() == {"seen": 0, "matched": 0, "counted": 0}
