from __future__ import annotations

from dataclasses import dataclass

import pytest

from rasd.catalog import Catalog, default_catalog
from rasd.ingest.places import Places


@dataclass(frozen=True)
class FakeService:
    id: str
    owner: str
    countries: tuple[str, ...]
    problems: tuple[str, ...]
    popularity: float
    category: str = "social"
    endpoints: tuple[()] = ()

    @property
    def domains(self) -> tuple[str, ...]:
        return (f"{self.id}.example",)


def _svc(
    sid: str, owner: str, pop: float, *problems: str, countries: tuple[str, ...] = ()
) -> FakeService:
    return FakeService(sid, owner, countries, problems or ("app", "login"), pop)


SERVICES = [
    _svc("facebook", "meta", 1.0, "app", "login", "feed"),
    _svc("instagram", "meta", 0.9, "app", "login", "feed"),
    _svc("whatsapp", "meta", 0.8, "messages", "connection", "app"),
    _svc("messenger", "meta", 0.2, "messages", "app"),
    _svc("workplace", "meta", 0.01),
    _svc("oculus", "meta", 0.02),
    _svc("twitter", "x", 0.5),
    _svc("tiktok", "bytedance", 0.35),
    _svc("telegram", "telegram", 0.12, "messages", "connection"),
    _svc("signal", "signal", 0.03, "messages"),
    _svc("google", "google", 0.3, "search", "website"),
    _svc("amazon", "amazon", 0.35, "website", "payments"),
    _svc("youtube", "google", 0.5, "streaming", "app"),
    _svc("github", "microsoft", 0.03, "website", "uploads"),
    _svc("snapchat", "snap", 0.15),
    _svc("netflix", "netflix", 0.3, "streaming"),
    _svc("we", "telecom-egypt", 0.12, "home-internet", "mobile-internet", countries=("EG",)),
    _svc("verizon", "verizon", 0.2, "mobile-internet", countries=("US",)),
    _svc("att", "att", 0.2, "mobile-internet", countries=("US",)),
    _svc("t-mobile-us", "t-mobile", 0.2, "mobile-internet", countries=("US",)),
]


@pytest.fixture(scope="session")
def places() -> Places:
    return Places.default()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture(scope="session")
def services() -> list[FakeService]:
    return list(SERVICES)
