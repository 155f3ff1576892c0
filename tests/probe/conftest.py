from __future__ import annotations

from collections.abc import Iterator

import pytest

from probe.local_dns import LocalDns
from probe.local_web import Certificates, LocalWeb

ZONE = "example.test."
NAMES = {
    "www.example.test.": {"A": ["127.0.0.1"], "AAAA": ["::1"]},
    "api.example.test.": {"A": ["127.0.0.1"]},
}


@pytest.fixture
def local_dns() -> Iterator[LocalDns]:
    server = LocalDns(NAMES, [ZONE]).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificates() -> Iterator[Certificates]:
    certs = Certificates()
    yield certs
    certs.close()


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    server = LocalWeb().start()
    yield server
    server.stop()


@pytest.fixture
def secure_web(certificates: Certificates) -> Iterator[LocalWeb]:
    server = LocalWeb(certificates.valid_context()).start()
    yield server
    server.stop()
