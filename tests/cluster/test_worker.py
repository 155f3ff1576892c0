"""The whole cluster, for real: two API processes, two workers, NATS JetStream, PostgreSQL.

Whatever fails on the way (a worker killed, nats-server or PostgreSQL restarted), every report
the API acknowledged is counted exactly once, and detection finds the same incidents as the
embedded server given the same reports.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from bus.natsd import PrivateNats, drop_stream, ensure_machine_server
from store.pg import database

from cluster.parts import (
    BATCH,
    SHARDS,
    TOKEN,
    PrivatePostgres,
    Processes,
    World,
    build_world,
    incidents_of,
    load_history,
)
from rasd.bus.nats import JetStreamLog, StreamLimits
from rasd.cluster.detector import checkpoint_key, ticked_key
from rasd.cluster.feed import ClusterFeed
from rasd.errors import Unavailable
from rasd.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.nats, pytest.mark.postgres]

Disruption = Callable[[int, Processes], None]


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


def _wait(what: str, ok: Callable[[], bool], procs: Processes, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not _answers(ok):
        procs.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen in {seconds} s:\n{procs.logs()}")
        time.sleep(0.2)


def _answers(ok: Callable[[], bool]) -> bool:
    try:
        return ok()
    except Unavailable:  # the test's own look at a database that is being restarted
        return False


def _run(world: World, store_url: str, nats_url: str, disrupt: Disruption) -> None:
    stream = f"RASDC{uuid.uuid4().hex[:8].upper()}"
    store = open_store(store_url)
    store.migrate()
    load_history(store, world)
    procs = Processes(store_url, nats_url, stream, world.history_days)
    log = JetStreamLog(nats_url, stream, StreamLimits(shards=SHARDS), timeout=2)
    feed = ClusterFeed([procs.api("api1"), procs.api("api2")], TOKEN, log, batch=BATCH)
    try:
        procs.worker("w1")
        procs.worker("w2")
        procs.wait_ready()
        # what is stored so far is history: mark it, and let detection learn it first
        feed.minute_done(world.first - 1, None)
        _wait("learning", lambda: store.get_state(checkpoint_key(stream)) is not None, procs)
        for i, (minute, items) in enumerate(world.minutes):
            disrupt(i, procs)
            feed.send_items("reports", items, f"feed:{minute}")
            feed.minute_done(minute, None)
        last = str(world.last).encode()
        _wait("detection", lambda: store.get_state(ticked_key(stream)) == last, procs)

        assert feed.acknowledged["reports"] == world.reports
        assert store.count_reports() == world.reports  # raw reports: each stored once
        assert store.read_minutes(world.first, world.last + 1) == world.counts
        assert incidents_of(store) == world.incidents
        assert any(i[1] == "github" for i in world.incidents)  # the scenario's outage is seen
    finally:
        procs.close()
        feed.close()
        store.close()
        with contextlib.suppress(Exception):  # a private server may be gone already
            drop_stream(nats_url, stream)


def test_a_worker_killed_mid_stream(world: World) -> None:
    def kill(i: int, procs: Processes) -> None:
        if i == 10:
            procs.kill("w1")  # SIGKILL: no goodbye, its leases lapse
        if i == 25:
            procs.worker("w3")  # a newcomer takes a fair share back

    with database() as url:
        _run(world, url, ensure_machine_server(), kill)


def test_nats_server_restarted(world: World) -> None:
    nats = PrivateNats().start()
    threads: list[threading.Thread] = []

    def restart(i: int, procs: Processes) -> None:
        if i == 12:
            nats.stop()
            # the feed keeps sending meanwhile: 503s and retries until the log is back
            thread = threading.Timer(2, nats.start)
            thread.start()
            threads.append(thread)

    try:
        with database() as url:
            _run(world, url, nats.url, restart)
    finally:
        for thread in threads:
            thread.join()
        nats.close()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres().start()
    yield pg
    pg.close()


def test_postgres_restarted(world: World, private_postgres: PrivatePostgres) -> None:
    threads: list[threading.Thread] = []

    def restart(i: int, procs: Processes) -> None:
        if i == 12:
            private_postgres.stop()
            thread = threading.Timer(3, private_postgres.start)
            thread.start()
            threads.append(thread)

    try:
        with database(private_postgres.admin) as url:
            _run(world, url, ensure_machine_server(), restart)
    finally:
        for thread in threads:
            thread.join()
