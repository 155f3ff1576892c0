"""What only PostgreSQL has: many writers at once, and a server that may be away."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from rasd.errors import Unavailable
from rasd.series import POSTS, REPORTS, WORLD, SeriesKey
from rasd.store import open_store, postgres
from rasd.store.counts import AlreadyApplied
from rasd.store.postgres import PostgresStore, engine_url
from store.pg import ADMIN

pytestmark = pytest.mark.postgres


def test_url_spellings() -> None:
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_a_server_that_is_away_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = PostgresStore(f"postgresql://postgres@127.0.0.1:{port}/none", connect_timeout=1)
    with pytest.raises(Unavailable) as raised:
        store.add_counts({(SeriesKey("x", POSTS, WORLD), 1): 1}, msg_id="m")
    assert raised.value.headers["Retry-After"] == "5"
    with pytest.raises(Unavailable):
        store.series_keys()
    store.close()


def test_writers_in_many_processes_add_up(postgres_url: str) -> None:
    # separate stores stand for separate processes: each has its own pool and series ids
    stores = [open_store(postgres_url) for _ in range(4)]
    keys = [SeriesKey(f"svc{i}", POSTS, WORLD) for i in range(30)]

    def write(n: int) -> None:
        store = stores[n % len(stores)]
        # the same rows in different orders: the classic deadlock, unless rows are sorted
        order = keys if n % 2 else list(reversed(keys))
        store.add_counts({(k, 100): 1 for k in order}, msg_id=f"w{n}")
        store.add_counts({(k, 100): 1 for k in order}, msg_id=f"w{n}")  # a redelivery

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(40)))
    totals = {k: stores[0].total(k, 100, 101) for k in keys}
    assert totals == {k: 40 for k in keys}
    for store in stores:
        store.close()


def _drop_connections(url: str) -> None:
    """Ends every other backend of the test's database, as a restart of the server would."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


def test_a_connection_dropped_while_idle_is_replaced_unseen(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PostgresStore(postgres_url)
    store.migrate()
    store.put_state("k", b"1")
    _drop_connections(postgres_url)
    # every connection back in the pool counts as idle long enough to be pinged first
    monkeypatch.setattr(postgres, "_PING_IDLE_S", 0.0)
    assert store.get_state("k") == b"1"
    store.close()


def test_a_connection_in_steady_use_is_not_pinged_and_a_failure_clears_the_pool(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "_PING_IDLE_S", 3600.0)
    store = PostgresStore(postgres_url)
    store.migrate()
    store.put_state("k", b"1")
    _drop_connections(postgres_url)
    # no ping: the use that finds the connection gone fails, as a write in flight would ...
    with pytest.raises(Unavailable):
        store.get_state("k")
    # ... and every connection made before it is thrown away, so the next use works
    assert store.get_state("k") == b"1"
    store.close()


def test_writes_that_wait_together_commit_together_and_a_repeat_fails_alone(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PostgresStore(postgres_url)
    store.migrate()
    key = SeriesKey("svc", REPORTS, WORLD)
    store.write_reports(None, {(key, 100): 1}, ["seen"])
    groups: list[int] = []
    first_in = threading.Event()
    release = threading.Event()
    commit = store._commit_group

    def held(group: list[Any]) -> None:
        groups.append(len(group))
        if len(groups) == 1:  # the first writer commits alone and slowly: the others queue
            first_in.set()
            release.wait()
        commit(group)

    monkeypatch.setattr(store._group, "_commit", held)
    ids: list[str | list[str]] = ["lead", *[f"m{i}" for i in range(5)], "m0", ["seen"]]
    outcomes: dict[int, object] = {}

    def write(i: int) -> None:
        try:
            outcomes[i] = store.write_reports(None, {(key, 100 + i): 1}, ids[i])
        except Exception as exc:  # noqa: BLE001 - the outcome is what is checked
            outcomes[i] = exc

    threads = [threading.Thread(target=write, args=(0,))]
    threads[0].start()
    first_in.wait()
    threads += [threading.Thread(target=write, args=(i,)) for i in range(1, len(ids))]
    for t in threads[1:]:
        t.start()
    while len(store._group._waiting) < len(ids) - 1:
        threading.Event().wait(0.01)
    release.set()
    for t in threads:
        t.join()
    assert groups == [1, len(ids) - 1]
    # the group could not be committed whole (an id applied before): each alone, and only
    # the repeats are refused: "m0" a second time is not counted, the applied list raises
    assert outcomes[0] is True and all(outcomes[i] is True for i in range(1, 6))
    assert outcomes[6] is False
    assert isinstance(outcomes[7], Unavailable | AlreadyApplied)
    counted = store.read_minutes(100, 110)[key]
    # minute 100 holds the write before and the first of the group; 106 and 107 nothing
    assert counted == {100: 2, **{100 + i: 1 for i in range(1, 6)}}
    store.close()
