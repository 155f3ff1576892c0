import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi.testclient import TestClient
from httpx_sse import EventSource, connect_sse

from rasd.api.live import LiveHub, _frame, attach
from rasd.catalog import default_catalog
from rasd.clock import VirtualClock, minute_of
from rasd.correlate.titles import outage_title
from rasd.locale.phrases import CatalogNames
from rasd.runtime import Runtime
from rasd.series import SeriesKey
from rasd.shell.app import create_app

T0 = datetime(2021, 10, 4, 15, 40, tzinfo=UTC)
M0 = minute_of(T0)


def _frames(reader: Any) -> list[tuple[str, dict[str, Any]]]:
    """The events `reader` holds, the greeting every stream begins with left out."""
    out = []
    for frame in reader.frames:
        fields = dict(
            line.split(": ", 1) for line in frame.decode().strip().split("\n") if ": " in line
        )
        if fields["event"] != "hello":
            out.append((fields["event"], orjson.loads(fields["data"])))
    reader.frames.clear()
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
    [(kind, update)] = _frames(everyone)
    assert kind == "update"
    assert update["counts"] == {"facebook": {str(M0): 100}, "instagram": {str(M0): 50}}
    assert [i["change"] for i in update["incidents"]] == ["escalated"]
    frames = _frames(watcher)
    assert [k for k, _ in frames] == ["update", "detail"]
    assert frames[1][1] == {"service": "facebook", "problems": {"login": 50}, "regions": {"US": 50}}
    # nothing new and the same minute: nothing sent; a new minute tells the time
    assert hub.flush() is None
    clock.advance(timedelta(minutes=1))
    assert hub.flush() == 2
    assert _frames(everyone)[0][1]["counts"] == {}


async def test_a_reconnecting_reader_gets_what_it_missed_or_a_resync() -> None:
    clock = VirtualClock(T0)
    hub = LiveHub(clock, interval=3600, ring=3)
    first = hub.subscribe(frozenset(), None)
    for i in range(5):
        hub.on_counts({(SeriesKey("x", "reports"), M0 + i): 1})
        hub.flush()
    hub.unsubscribe(first)
    caught_up = hub.subscribe(frozenset(), last_id=3)
    assert [d["counts"] for _, d in _frames(caught_up)] == [
        {"x": {str(M0 + 3): 1}},
        {"x": {str(M0 + 4): 1}},
    ]
    too_old = hub.subscribe(frozenset(), last_id=1)
    assert [k for k, _ in _frames(too_old)] == ["resync"]


async def test_a_reader_too_far_behind_is_dropped_and_the_others_still_receive() -> None:
    hub = LiveHub(VirtualClock(T0), interval=3600, queue_size=3)
    slow = hub.subscribe(frozenset(), None)
    keeping_up = hub.subscribe(frozenset(), None)
    seen = []
    for i in range(4):
        hub.on_counts({(SeriesKey("x", "reports"), M0 + i): 1})
        hub.flush()
        seen += [data["counts"] for _, data in _frames(keeping_up)]
    assert (hub.subscribers, hub.dropped) == (1, 1)
    assert slow.closed and slow.frames == []
    assert seen == [{"x": {str(M0 + i): 1}} for i in range(4)]


async def test_changes_are_ignored_while_nobody_listens() -> None:
    hub = LiveHub(VirtualClock(T0), interval=3600)
    hub.on_counts({(SeriesKey("x", "reports"), M0): 1})
    hub.on_change("incident", {"incident": {"id": "a"}})
    assert hub.generation == 1
    sub = hub.subscribe(frozenset(), None)
    hub.flush()
    assert _frames(sub)[0][1]["counts"] == {}


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


@contextmanager
def _served(runtime: Runtime, http: str = "httptools") -> Iterator[str]:
    """The app on uvicorn on 127.0.0.1, in a thread: real sockets, real flow control."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(runtime),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        http=http,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        time.sleep(0.025)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _until(condition: Any, what: str) -> None:
    for _ in range(800):
        if condition():
            return
        time.sleep(0.025)
    raise AssertionError(f"never: {what}")


# httptools: frames written to each socket as offered; h11: each through the reader's task
@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_a_reader_that_stops_reading_is_dropped_while_another_gets_every_update(
    runtime: Runtime, http: str
) -> None:
    hub = attach(runtime, interval=0.02, queue_size=4)
    # 3,000 services a message: about 70 KB each, so a socket nobody reads fills in a few
    wide = [f"svc{i:04d}" for i in range(3000)]
    with _served(runtime, http) as base, httpx.Client(base_url=base, timeout=10) as client:
        with connect_sse(client, "GET", "/api/v1/live") as source:
            events = source.iter_sse()
            hello = next(events)
            assert (hello.event, hello.retry) == ("hello", 1000)
            ids: list[int] = []
            minute = M0
            with socket.socket() as slow:
                slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                slow.connect(("127.0.0.1", int(base.rsplit(":", 1)[1])))
                slow.sendall(b"GET /api/v1/live HTTP/1.1\r\nHost: rasd.example\r\n\r\n")
                _until(lambda: hub.subscribers == 2, "the second reader subscribed")
                while hub.dropped == 0 and minute < M0 + 500:
                    hub.on_counts({(SeriesKey(s, "reports"), minute): 1 for s in wide})
                    for sse in events:  # up to the update that carries this minute
                        if sse.event != "update":
                            continue
                        ids.append(int(sse.id))
                        counts = sse.json()["counts"]  # the first may tell only the time
                        if str(minute) in counts.get("svc0000", {}):
                            assert len(counts) == len(wide)
                            break
                    minute += 1
            assert hub.dropped == 1, "the reader that never read was not dropped"
            assert hub.subscribers == 1
            assert minute - M0 >= 4  # it took more than its queue to be dropped
            assert ids == sorted(set(ids))
            # the stream goes on for the reader that keeps up
            hub.on_counts({(SeriesKey("after", "reports"), minute): 7})
            update = next(sse for sse in events if sse.event == "update")
            assert update.json()["counts"] == {"after": {str(minute): 7}}


def test_frames_follow_the_event_stream_format() -> None:
    frame = _frame("update", {"text": "two\nlines\r\nand a\rreturn"}, 12)
    assert frame.endswith(b"\n\n") and frame.count(b"\n") == 4  # id, event, one data line, blank
    stream = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=frame)
    [event] = list(EventSource(stream).iter_sse())
    assert (event.event, event.id) == ("update", "12")
    assert orjson.loads(event.data) == {"text": "two\nlines\r\nand a\rreturn"}


async def test_an_events_title_is_said_for_the_readers() -> None:
    hub = LiveHub(VirtualClock(T0), interval=3600, names=CatalogNames(default_catalog()))
    everyone = hub.subscribe(frozenset(), None)
    title = outage_title("meta", ["facebook", "whatsapp"], 5).to_dict()
    hub.on_change("event", {"event": {"id": "meta-1", "state": "active", "title": title}})
    assert hub.flush() == 1
    [(_, update)] = _frames(everyone)
    [event] = update["events"]
    assert event["title"] == {"en": "Meta: Facebook, WhatsApp", "ar": "ميتا: فيسبوك، واتساب"}
