"""What only PostgreSQL has: many writers at once, and a server that may be away."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from rasd.errors import Unavailable
from rasd.series import POSTS, WORLD, SeriesKey
from rasd.store import open_store
from rasd.store.postgres import PostgresStore, engine_url

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
