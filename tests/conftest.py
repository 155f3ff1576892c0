"""Fixtures shared by the whole suite: a runtime on a virtual clock and a client for it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from rasd.assembly import build_runtime
from rasd.clock import VirtualClock
from rasd.runtime import Runtime
from rasd.settings import Settings
from rasd.shell.app import create_app
from rasd.store import Store, open_store

# no live source of any test reaches past loopback: the tests' stand-ins are on 127.0.0.1
os.environ["RASD_OFFLINE"] = "true"

T0 = datetime(2021, 10, 4, 12, 0, tzinfo=UTC)
IMPORT_TOKEN = "import-token-for-tests"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty store in memory, migrated."""
    s = open_store("sqlite:///:memory:")
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def runtime(clock: VirtualClock) -> Iterator[Runtime]:
    settings = Settings(
        store_url="sqlite:///:memory:",
        import_tokens=[IMPORT_TOKEN],
        requests_per_second=1000,
        request_burst=10_000,
    )
    rt = build_runtime(settings, clock=clock)
    yield rt
    rt.store.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as c:
        yield c
