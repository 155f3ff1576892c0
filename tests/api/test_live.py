import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from rasd.api.app import create_app
from rasd.api.live import LiveHub, attach
from rasd.clock import VirtualClock, minute_of
from rasd.runtime import Runtime
from rasd.series import SeriesKey

T0 = datetime(2021, 10, 4, 15, 40, tzinfo=UTC)
M0 = minute_of(T0)


def _frames(queue: "asyncio.Queue[bytes | None]") -> list[tuple[str, dict[str, Any]]]:
    out = []
    while not queue.empty():
        frame = queue.get_nowait()
        assert frame is not None
        fields = dict(
            line.split(": ", 1) for line in frame.decode().strip().split("\n") if ": " in line
        )
        out.append((fields["event"], orjson.loads(fields["data"])))
    return out


async def test_counts_are_coalesced_into_one_message_per_flush() -> None:
    clock = VirtualClock(T0)
    hub = LiveHub(clock, interval=3600)
    everyone = hub.subscribe(frozenset(), None)
    watcher = hub.subscribe(frozenset({"facebook"}), None)
    for _ in range(50):
        hub.on_counts(
            {
                (SeriesKey("facebook", "reports"), M0): 2,
                (SeriesKey("facebook", "reports", "US"), M0): 1,
                (SeriesKey("facebook", "problem:login"), M0): 1,
                (SeriesKey("instagram", "reports"), M0): 1,
            }
        )
    hub.on_change("incident", {"change": "opened", "incident": {"id": "fb-1", "level": 2}})
    hub.on_change("incident", {"change": "escalated", "incident": {"id": "fb-1", "level": 2}})
    assert hub.flush() == 1
    [(kind, update)] = _frames(everyone.queue)
    assert kind == "update"
    assert update["counts"] == {"facebook": {str(M0): 100}, "instagram": {str(M0): 50}}
    assert [i["change"] for i in update["incidents"]] == ["escalated"]
    frames = _frames(watcher.queue)
    assert [k for k, _ in frames] == ["update", "detail"]
    assert frames[1][1] == {"service": "facebook", "problems": {"login": 50}, "regions": {"US": 50}}
    # nothing new and the same minute: nothing sent; a new minute tells the time
    assert hub.flush() is None
    clock.advance(timedelta(minutes=1))
    assert hub.flush() == 2
    assert _frames(everyone.queue)[0][1]["counts"] == {}


async def test_a_reconnecting_reader_gets_what_it_missed_or_a_resync() -> None:
    clock = VirtualClock(T0)
    hub = LiveHub(clock, interval=3600, ring=3)
    first = hub.subscribe(frozenset(), None)
    for i in range(5):
        hub.on_counts({(SeriesKey("x", "reports"), M0 + i): 1})
        hub.flush()
    hub.unsubscribe(first)
    caught_up = hub.subscribe(frozenset(), last_id=3)
    assert [d["counts"] for _, d in _frames(caught_up.queue)] == [
        {"x": {str(M0 + 3): 1}},
        {"x": {str(M0 + 4): 1}},
    ]
    too_old = hub.subscribe(frozenset(), last_id=1)
    assert [k for k, _ in _frames(too_old.queue)] == ["resync"]


async def test_a_reader_too_far_behind_is_dropped() -> None:
    hub = LiveHub(VirtualClock(T0), interval=3600, queue_size=2)
    slow = hub.subscribe(frozenset(), None)
    for i in range(4):
        hub.on_counts({(SeriesKey("x", "reports"), M0 + i): 1})
        hub.flush()
    assert hub.subscribers == 0
    frames = []
    while not slow.queue.empty():
        frames.append(slow.queue.get_nowait())
    assert frames == [None]


async def test_changes_are_ignored_while_nobody_listens() -> None:
    hub = LiveHub(VirtualClock(T0), interval=3600)
    hub.on_counts({(SeriesKey("x", "reports"), M0): 1})
    hub.on_change("incident", {"incident": {"id": "a"}})
    assert hub.generation == 1
    sub = hub.subscribe(frozenset(), None)
    hub.flush()
    assert _frames(sub.queue)[0][1]["counts"] == {}


def test_the_stream_speaks_server_sent_events(runtime: Runtime) -> None:
    attach(runtime, interval=0.05, keepalive=0.2, lifetime=5.0)
    with TestClient(create_app(runtime)) as client:
        with client.stream("GET", "/api/v1/live", params={"service": "facebook"}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert "etag" not in response.headers
            lines = []
            report = {"service": "facebook", "problem": "login", "reporter": "a", "country": "US"}
            for line in response.iter_lines():
                lines.append(line)
                if line.startswith("event: hello"):
                    assert client.post("/api/v1/reports", json=report).status_code == 202
                if line.startswith("data:") and "event: detail" in lines[-2:-1]:
                    break
    text = "\n".join(lines)
    assert "event: update" in text and '"facebook":{"' in text
    assert '"problems":{"login":1}' in text and '"regions":{"US":1' in text


@pytest.mark.parametrize("services", [["nope"], [f"s{i}" for i in range(21)]])
def test_bad_service_lists_are_refused(client: TestClient, services: list[str]) -> None:
    response = client.get("/api/v1/live", params={"service": services})
    assert response.status_code in (404, 422)
