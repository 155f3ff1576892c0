"""The local status-page server and a fetcher bound to loopback, for every test here."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rasd.probe.reach import Reach
from rasd.sources.status.fetch import PageFetcher
from sources.status.http_standin import HttpStandIn

UA = "Rasd/test (reads public status pages)"


@pytest.fixture
async def server() -> AsyncIterator[HttpStandIn]:
    async with HttpStandIn() as s:
        yield s


@pytest.fixture
async def fetcher() -> AsyncIterator[PageFetcher]:
    f = PageFetcher(Reach(offline=True), user_agent=UA, timeout=1.0, max_bytes=1024 * 1024)
    yield f
    await f.close()
