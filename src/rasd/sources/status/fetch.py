"""Getting a page politely and safely: conditional requests, a User-Agent that says who
asks, a cap on the body, one deadline for the whole answer (a server dripping bytes does
not hold a slot for ever), redirects followed only within the page's own host, and only
loopback hosts when offline."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from rasd.probe.reach import Reach

_MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class PageFailed(Exception):
    """The page could not be read; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAllowed(PageFailed):
    """Offline, and the page is not on a loopback address: not tried at all."""


@dataclass(frozen=True, slots=True)
class Answer:
    url: str
    body: bytes | None  # None: not modified since the validators given
    etag: str | None
    last_modified: str | None


class PageFetcher:
    def __init__(
        self,
        reach: Reach,
        *,
        user_agent: str,
        timeout: float = 10.0,
        max_bytes: int = 2 * 1024 * 1024,
        connections: int = 64,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._reach = reach
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._user_agent = user_agent
        self._connections = connections
        self._client = client

    def _open(self) -> httpx.AsyncClient:
        # made on first use and again after `close`: a source that is started again after
        # it stopped reads with a fresh client
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                headers={"User-Agent": self._user_agent, "Accept-Encoding": "gzip, deflate"},
                timeout=httpx.Timeout(self._timeout),
                follow_redirects=False,
                limits=httpx.Limits(
                    max_connections=self._connections,
                    max_keepalive_connections=self._connections,
                ),
                trust_env=False,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Answer:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._get(url, etag, last_modified)
        except TimeoutError:
            raise PageFailed(f"no answer within {self._timeout:g} s") from None

    async def _get(self, url: str, etag: str | None, last_modified: str | None) -> Answer:
        host = urlsplit(url).hostname
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _ in range(_MAX_REDIRECTS + 1):
            if not self._reach.allows(url):
                raise NotAllowed("offline: not a loopback address")
            async with self._open().stream("GET", url, headers=headers) as response:
                if response.status_code in _REDIRECTS:
                    target = urljoin(url, response.headers.get("location", ""))
                    if urlsplit(target).hostname != host:
                        raise PageFailed(f"redirect to another host: {urlsplit(target).hostname}")
                    url = target
                    continue
                if response.status_code == 304:
                    return Answer(url, None, etag, last_modified)
                if response.status_code != 200:
                    raise PageFailed(f"HTTP {response.status_code}")
                body = await self._read(response)
                return Answer(
                    url,
                    body,
                    response.headers.get("etag"),
                    response.headers.get("last-modified"),
                )
        raise PageFailed(f"more than {_MAX_REDIRECTS} redirects")

    async def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            raise PageFailed(f"body over {self._max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise PageFailed(f"body over {self._max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
