"""Replay: the same seed gives the same answer, in process and over HTTP to a real server."""

from __future__ import annotations

import dataclasses
import socket
import sqlite3
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
from typer.testing import CliRunner

from rasd.assembly import embedded
from rasd.catalog import load_catalog
from rasd.cli import app as cli_app
from rasd.cli.options import settings_from
from rasd.clock import VirtualClock, minute_of, minute_start
from rasd.ingest.places import Places
from rasd.locale.findings import said_event
from rasd.locale.phrases import CatalogNames
from rasd.replay import HttpSink, InProcessSink, Replay, ReplayStats, placement
from rasd.series import POSTS, PROBES_FAILED, PROBES_TOTAL, REPORTS, WORLD, SeriesKey
from rasd.shell.app import create_app
from rasd.sim import Simulation, load_scenario

TOKEN = "replay-test-token"
T_REPLAY = datetime(2021, 10, 4, 15, 0, tzinfo=UTC)


def _simulation() -> Simulation:
    scenario = load_scenario("global-outage").scaled(0.05)
    start = scenario.start + timedelta(hours=13)  # 19:00, twenty minutes before the onset
    window = scenario.model_copy(update={"start": start, "end": start + timedelta(minutes=50)})
    return Simulation(window, load_catalog(), Places.default())


class _AsObjects:
    """A simulation whose minutes carry their probe results as objects, not columns."""

    def __init__(self, sim: Simulation) -> None:
        self._sim = sim

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sim, name)

    def minutes(self) -> Iterator[Any]:
        for traffic in self._sim.minutes():
            yield dataclasses.replace(traffic, probes=list(traffic.probes))


def _in_process(
    tmp: Path, *, ahead: bool = False, objects: bool = False
) -> tuple[dict[SeriesKey, int], list[str], Any]:
    sim = _simulation()
    clock = VirtualClock(sim.start)
    runtime = embedded(settings_from(store_url=f"sqlite:///{tmp / 'r.db'}"), clock=clock)
    engine = runtime.detector()
    history = sim.history(2)
    engine.warm(history.start_minute, history.series, history.counts)
    assert runtime.aggregator is not None  # an embedded process counts
    sink = InProcessSink(runtime.aggregator.feed, clock, engine.tick)
    stats = Replay(_AsObjects(sim) if objects else sim, sink, ahead=ahead).run()
    totals = _totals(runtime, sim)
    incidents = sorted(i.id for i in runtime.store.list_incidents())
    runtime.store.close()
    return totals, incidents, stats


def _totals(runtime: Any, sim: Simulation) -> dict[SeriesKey, int]:
    first, last = minute_of(sim.start), minute_of(sim.end)
    return {
        key: runtime.store.total(key, first, last + 1)
        for key in runtime.store.series_keys(signal=REPORTS)
    }


def _stored(db: Path) -> tuple[list[Any], list[Any]]:
    """Every stored series and count row, and the incidents' times and levels."""
    with sqlite3.connect(db) as conn:
        counts = conn.execute(
            "SELECT s.id, s.service, s.signal, s.region, c.minute, c.n FROM counts c"
            " JOIN series s ON s.id = c.series_id ORDER BY s.id, c.minute"
        ).fetchall()
        incidents = conn.execute(
            "SELECT id, state, level, start_ms, end_ms, event_id FROM incidents ORDER BY id"
        ).fetchall()
    return counts, incidents


def test_same_seed_same_result(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    totals_a, incidents_a, stats = _in_process(tmp_path / "a", objects=True)
    # drawn ahead, the probe results come as columns: the same stored rows as objects give
    totals_b, incidents_b, stats_b = _in_process(tmp_path / "b", ahead=True)
    assert stats.minutes == 50 and stats.reports > 1000
    assert stats.probes > 10_000 and stats_b.probes == stats.probes
    assert totals_a == totals_b
    assert incidents_a == incidents_b
    rows_a, rows_b = _stored(tmp_path / "a" / "r.db"), _stored(tmp_path / "b" / "r.db")
    assert any(signal == PROBES_FAILED for _, _, signal, _, _, _ in rows_a[0])
    assert rows_a == rows_b
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


def _serving(runtime: Any) -> Iterator[tuple[str, Any]]:
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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    sim = _simulation()
    # the server's clock follows the replay: it is set before each minute is sent
    clock = VirtualClock(sim.start)
    runtime = embedded(
        settings_from(
            store_url=f"sqlite:///{tmp_path / 'server.db'}",
            import_tokens=[TOKEN],
            requests_per_second=10_000,
            request_burst=10_000,
        ),
        clock=clock,
    )
    yield from _serving(runtime)


def test_replay_over_http_counts_what_in_process_counts(
    tmp_path: Path, server: tuple[str, Any]
) -> None:
    url, runtime = server
    sim = _simulation()
    sink = _FollowingSink(url, runtime.clock)
    try:
        # drawn ahead: the probe results go out from their columns
        stats = Replay(sim, sink, ahead=True).run()
    finally:
        sink.close()
    assert stats.reports > 1000 and stats.probes > 10_000
    over_http = _totals(runtime, sim)
    (tmp_path / "local").mkdir()
    in_process, _, _ = _in_process(tmp_path / "local")
    assert over_http == in_process
    first, last = minute_of(sim.start), minute_of(sim.end)
    probes_here: dict[tuple[str, str, str], int] = {}
    for _, service, signal, region, _, n in _stored(tmp_path / "local" / "r.db")[0]:
        if signal in (PROBES_TOTAL, PROBES_FAILED):
            key = (service, signal, region)
            probes_here[key] = probes_here.get(key, 0) + n
    probes_there = {
        (key.service, key.signal, key.region): runtime.store.total(key, first, last + 1)
        for signal in (PROBES_TOTAL, PROBES_FAILED)
        for key in runtime.store.series_keys(signal=signal)
    }
    assert probes_there == probes_here
    # and a second replay of the same scenario is recognised: nothing counts twice
    again = HttpSink(url, TOKEN, batch=2_000)
    try:
        Replay(sim, again).run()
    finally:
        again.close()
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


@pytest.mark.parametrize("speed", [None, 0.5, 1.0, 60.0, 6_000.0])
def test_a_replay_over_http_is_placed_never_ahead_of_the_time_it_is_sent(
    speed: float | None,
) -> None:
    first = datetime(2021, 10, 4, 15, 0, tzinfo=UTC)
    now = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
    minutes = 540
    shift = placement(first, minutes, speed, now)
    step = 0.0 if speed is None else 60.0 / speed
    for i in range(minutes):
        sent = now + timedelta(seconds=i * step)
        ends = first + shift + timedelta(minutes=i + 1)
        # a minute's last item is at most the minute itself ahead of the moment it is sent
        assert ends <= sent + timedelta(minutes=1)
    # and it is as late as that allows: the last minute (or, slower than real time, the first)
    # is sent as it happens
    if speed is None:
        assert first + shift + timedelta(minutes=minutes) == now
    elif speed >= 1:
        last_sent = now + timedelta(seconds=(minutes - 1) * step)
        assert first + shift + timedelta(minutes=minutes - 1) == last_sent
    else:
        assert first + shift == now


def _short_scenario(tmp: Path) -> Path:
    """The global outage cut to 50 minutes around its onset, at a twentieth of its size."""
    text = (Path(__file__).parents[1] / "src/rasd/sim/scenarios/global-outage.toml").read_text()
    text = text.replace("start = 2024-03-12T06:00:00Z", "start = 2024-03-12T19:00:00Z", 1)
    text = text.replace("end = 2024-03-13T06:00:00Z", "end = 2024-03-12T19:50:00Z", 1)
    text = text.replace("total = 420_000", "total = 21_000", 1)
    path = tmp / "short.toml"
    path.write_text(text)
    return path


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A server on the system clock, as `rasd serve` runs."""
    runtime = embedded(
        settings_from(
            store_url=f"sqlite:///{tmp_path / 'live.db'}",
            import_tokens=[TOKEN],
            ingest_tokens=["ingest-only"],
            requests_per_second=10_000,
            request_burst=10_000,
        )
    )
    yield from _serving(runtime)


def _stored_reports(runtime: Any) -> int:
    now = minute_of(datetime.now(UTC))
    return sum(
        runtime.store.total(key, now - 24 * 60, now + 10)
        for key in runtime.store.series_keys(signal=REPORTS)
        if key.region == WORLD
    )


@pytest.mark.parametrize("speed", ["max", "3000"])
def test_the_documented_replay_over_http_is_taken_whole_by_a_server_on_the_system_clock(
    tmp_path: Path, live_server: tuple[str, Any], speed: str
) -> None:
    url, runtime = live_server
    scenario = _short_scenario(tmp_path)
    result = CliRunner().invoke(
        cli_app, ["replay", str(scenario), "--server", url, "--token", TOKEN, "--speed", speed]
    )
    assert result.exit_code == 0, result.output
    # what the same scenario counts in process (a person counts once per service per window)
    sim = Simulation(load_scenario(str(scenario)), load_catalog(), Places.default())
    clock = VirtualClock(sim.start)
    local = embedded(settings_from(store_url=f"sqlite:///{tmp_path / 'local.db'}"), clock=clock)
    assert local.aggregator is not None  # an embedded process counts
    sink = InProcessSink(local.aggregator.feed, clock, local.detector().tick)
    Replay(sim, sink).run()
    expected = sum(n for key, n in _totals(local, sim).items() if key.region == WORLD)
    local.store.close()
    assert expected > 500
    # acknowledged is durable in the log; counting it into minutes follows a moment later
    deadline = time.monotonic() + 30
    while _stored_reports(runtime) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _stored_reports(runtime) == expected
    # probe results and posts carry their own times too, and were taken
    assert runtime.store.series_keys(signal=PROBES_TOTAL)
    assert runtime.store.series_keys(signal=POSTS)


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (None, "needs an import token"),
        ("not-a-token", "does not know the token"),
        ("ingest-only", "not import"),
    ],
)
def test_a_replay_without_an_import_token_stops_before_sending_anything(
    tmp_path: Path, live_server: tuple[str, Any], token: str | None, says: str
) -> None:
    url, runtime = live_server
    args = ["replay", str(_short_scenario(tmp_path)), "--server", url]
    if token is not None:
        args += ["--token", token]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.output
    assert "Traceback" not in result.output
    assert _stored_reports(runtime) == 0
    assert not runtime.store.series_keys()


def test_a_replay_to_no_server_says_so_in_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(
        cli_app, ["replay", str(_short_scenario(tmp_path)), "--server", url, "--token", TOKEN]
    )
    assert result.exit_code == 1
    assert "no Rasd server answers" in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1


def test_the_token_endpoint_tells_the_scopes(live_server: tuple[str, Any]) -> None:
    url, _ = live_server
    with httpx.Client(base_url=url) as client:
        missing = client.get("/api/v1/token")
        unknown = client.get("/api/v1/token", headers={"Authorization": "Bearer nope"})
        ingest = client.get("/api/v1/token", headers={"Authorization": "Bearer ingest-only"})
        imports = client.get("/api/v1/token", headers={"Authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == 401 and missing.json()["error"]["code"]
    assert unknown.status_code == 403
    assert ingest.json() == {"scopes": ["ingest"]}
    assert imports.json() == {"scopes": ["import"]}


def _reference_events(tmp: Path) -> list[dict[str, Any]]:
    """The reference day from 14:30 to midnight, at a fifth of its volume, as `rasd replay`
    runs it in process; the events it leaves in the store."""
    scenario = load_scenario("meta-2021-10-04").scaled(0.2)
    start = scenario.start + timedelta(hours=14, minutes=30)
    sim = Simulation(scenario.model_copy(update={"start": start}), load_catalog(), Places.default())
    clock = VirtualClock(sim.start)
    runtime = embedded(settings_from(store_url=f"sqlite:///{tmp / 'ref.db'}"), clock=clock)
    engine = runtime.detector()
    history = sim.history(2)
    engine.warm(history.start_minute, history.series, history.counts)
    assert runtime.aggregator is not None  # an embedded process counts
    Replay(sim, InProcessSink(runtime.aggregator.feed, clock, engine.tick)).run()
    events: list[dict[str, Any]] = [e.data for e in runtime.store.list_events()]
    runtime.store.close()
    # kept as codes; said in words as the API and the pages say them
    names = CatalogNames(load_catalog())
    return [said_event(event, names) for event in events]


@pytest.mark.slow
def test_the_reference_event_keeps_its_cause(tmp_path: Path) -> None:
    events = _reference_events(tmp_path)
    meta = [e for e in events if e["owner"] == "meta"]
    assert len(meta) == 1
    event = meta[0]
    assert event["state"] == "resolved"
    codes = [h["code"] for h in event["cause_hints"]]
    # routing first, then DNS: the name servers' routes went at 15:39, the names at 15:40
    assert codes[:2] == ["routing", "dns_owner"], codes
    routing = event["cause_hints"][0]
    assert routing["first_seen"] == "2021-10-04T15:39:00+00:00"
    assert routing["evidence"]["asns"] == [32934]
    assert "129.134.30.0/24" in routing["evidence"]["prefixes"]
    assert routing["state"] == "ended" and routing["confidence"] >= 0.9
    dns = next(h for h in event["cause_hints"] if h["code"] == "dns_owner")
    # the names failed from 15:40, everywhere, and came back at 21:20
    assert dns["first_seen"] == "2021-10-04T15:40:00+00:00"
    assert "2021-10-04T21:1" in dns["last_seen"]
    assert dns["evidence"]["counts"] == {"failing": 5, "seen": 5}
    assert dns["confidence"] >= 0.9
    cause = event["cause"]["en"]
    assert cause.startswith("Routing and DNS at Meta: AS32934 withdrew the prefixes of its name")
    assert "SERVFAIL from 5 of 5 vantage points" in cause
    # an ended cause is shown at its worst, not as it was while mending
    assert all(p in routing["evidence"]["prefixes"] for p in ("129.134.30.0/23", "185.89.218.0/23"))
    # the routes are seen going before the reports rise: the event opens on them
    assert event["start"] <= "2021-10-04T15:40:00+00:00"
    # one timeline entry per real change, each saying what the cause now is
    entries = [(e["kind"], e["text"]["en"]) for e in event["log"] if e["kind"].startswith("cause")]
    assert [kind for kind, _ in entries] == ["cause", "cause", "cause_ended", "cause_ended"]
    assert entries[0][1].startswith("Likely cause: Routes to Meta are gone: AS32934 withdrew")
    assert entries[1][1].startswith("Likely cause: Names under the same authoritative DNS (Meta)")
    assert [text for _, text in entries[2:]] == [
        "No longer seen: routing at Meta",
        "No longer seen: DNS at Meta",
    ]
