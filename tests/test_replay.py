"""Replay: the same seed gives the same answer, in process and over HTTP to a real server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from rasd.api.app import create_app
from rasd.catalog import load_catalog
from rasd.clock import VirtualClock, minute_of, minute_start
from rasd.commands import _settings, embedded
from rasd.ingest.places import Places
from rasd.replay import HttpSink, InProcessSink, Replay, ReplayStats
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.sim import Simulation, load_scenario

TOKEN = "replay-test-token"
T_REPLAY = datetime(2021, 10, 4, 15, 0, tzinfo=UTC)


def _simulation() -> Simulation:
    scenario = load_scenario("global-outage").scaled(0.05)
    start = scenario.start + timedelta(hours=13)  # 19:00, twenty minutes before the onset
    window = scenario.model_copy(update={"start": start, "end": start + timedelta(minutes=50)})
    return Simulation(window, load_catalog(), Places.default())


def _in_process(tmp: Path) -> tuple[dict[SeriesKey, int], list[str], Any]:
    sim = _simulation()
    clock = VirtualClock(sim.start)
    runtime = embedded(_settings(store_url=f"sqlite:///{tmp / 'r.db'}"), clock=clock)
    engine = runtime.extras["engine"]
    history = sim.history(2)
    engine.warm(history.start_minute, history.series, history.counts)
    stats = Replay(
        sim, InProcessSink(runtime.aggregator.feed, clock, engine.tick), progress=False
    ).run()
    totals = _totals(runtime, sim)
    incidents = sorted(i["id"] for i in runtime.store.list_incidents())
    runtime.store.close()
    return totals, incidents, stats


def _totals(runtime: Any, sim: Simulation) -> dict[SeriesKey, int]:
    first, last = minute_of(sim.start), minute_of(sim.end)
    return {
        key: runtime.store.total(key, first, last + 1)
        for key in runtime.store.series_keys(signal=REPORTS)
    }


def test_same_seed_same_result(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    totals_a, incidents_a, stats = _in_process(tmp_path / "a")
    totals_b, incidents_b, _ = _in_process(tmp_path / "b")
    assert stats.minutes == 50 and stats.reports > 1000
    assert totals_a == totals_b
    assert incidents_a == incidents_b
    # the outage is seen, and nothing else
    assert any(i.startswith("youtube-") for i in incidents_a)
    assert totals_a[SeriesKey("youtube", REPORTS, WORLD)] > 0


class _FollowingSink(HttpSink):
    """A server whose clock follows the replay, as `rasd replay --keep-time` expects."""

    def __init__(self, url: str, clock: VirtualClock) -> None:
        super().__init__(url, TOKEN, batch=2_000)
        self._clock = clock

    def minute_done(self, minute: int, stats: Any) -> None:
        self._clock.set(minute_start(minute + 1))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    sim = _simulation()
    # the server's clock follows the replay: it is set before each minute is sent
    clock = VirtualClock(sim.start)
    runtime = embedded(
        _settings(
            store_url=f"sqlite:///{tmp_path / 'server.db'}",
            import_tokens=[TOKEN],
            requests_per_second=10_000,
            request_burst=10_000,
        ),
        clock=clock,
    )
    port = _free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", runtime
    srv.should_exit = True
    thread.join(timeout=30)
    runtime.store.close()


def test_replay_over_http_counts_what_in_process_counts(
    tmp_path: Path, server: tuple[str, Any]
) -> None:
    url, runtime = server
    sim = _simulation()
    sink = _FollowingSink(url, runtime.clock)
    try:
        stats = Replay(sim, sink, progress=False).run()
    finally:
        sink.close()
    assert stats.reports > 1000
    over_http = _totals(runtime, sim)
    (tmp_path / "local").mkdir()
    in_process, _, _ = _in_process(tmp_path / "local")
    assert over_http == in_process
    # and a second replay of the same scenario is recognised: nothing counts twice
    sink = HttpSink(url, TOKEN, batch=2_000)
    try:
        Replay(sim, sink, progress=False).run()
    finally:
        sink.close()
    assert _totals(runtime, sim) == in_process
    with httpx.Client(base_url=url) as client:
        body = client.get("/api/v1/services/youtube").json()
    assert body["id"] == "youtube"


def test_a_minute_is_ticked_once_all_of_it_is_stored_in_order() -> None:
    """Minutes are fed ahead of the store; a tick waits for its minute's writes, and more than
    `ahead` minutes waiting makes the replay wait for the oldest."""
    writes: list[Future[None]] = []

    def feed(kind: str, payload: Any, msg_id: str) -> Future[None]:
        writes.append(Future())
        return writes[-1]

    ticked: list[int] = []

    def tick(minute: int) -> list[Any]:
        ticked.append(minute)
        return []

    m = minute_of(T_REPLAY)
    sink = InProcessSink(feed, VirtualClock(T_REPLAY), tick, ahead=2)
    stats = ReplayStats()
    sink.send("reports", None, "a")
    sink.send("posts", None, "b")
    sink.minute_done(m, stats)
    assert ticked == []  # not stored yet
    writes[0].set_result(None)
    writes[1].set_result(None)
    sink.send("reports", None, "c")
    sink.minute_done(m + 1, stats)
    assert ticked == [m]  # stored meanwhile: ticked at the next minute's end
    sink.send("reports", None, "d")
    sink.minute_done(m + 2, stats)
    assert ticked == [m]  # two minutes wait: as many as may
    sink.send("reports", None, "e")
    third = threading.Thread(target=sink.minute_done, args=(m + 3, stats))
    third.start()
    third.join(0.5)
    assert third.is_alive()  # three would wait: the replay waits for the oldest
    writes[2].set_result(None)
    third.join(10)
    assert ticked == [m, m + 1]
    writes[3].set_result(None)
    writes[4].set_exception(OSError("disk gone"))
    with pytest.raises(OSError):
        sink.finish(stats)  # a minute that was not stored stops the replay
    assert ticked == [m, m + 1, m + 2]
