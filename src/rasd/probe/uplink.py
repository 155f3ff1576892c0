"""The agent's line to the server: fetch the check list, push batches, back off when it is away."""

from __future__ import annotations

import random
from typing import Protocol

import httpx

from rasd.errors import RasdError
from rasd.signals.probes import (
    ProbeBatch,
    ProbeCheck,
    decode_check_list,
    encode,
)

CHECKS_PATH = "/api/v1/probes/checks"
BATCH_PATH = "/api/v1/probes/batch"


class ServerAway(Exception):
    """The server did not take the request; try again later (after `retry_after` if given)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotAllowed(ServerAway):
    """The server refused the token: an agent running once stops; a long-running one waits,
    since a server being set up may not know its token yet."""


class BatchRefused(Exception):
    """The server answered that the batch itself is wrong; sending it again would not help."""


class Link(Protocol):
    """Where an agent's checks come from and its results go: a server's API, or the log."""

    async def fetch_checks(self) -> list[ProbeCheck]: ...

    async def push(self, batch: ProbeBatch) -> None: ...


class Uplink:
    def __init__(self, server: str, token: str, client: httpx.AsyncClient) -> None:
        self._base = server.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._client = client

    async def fetch_checks(self) -> list[ProbeCheck]:
        response = await self._send("GET", CHECKS_PATH)
        _refuse_if_not_allowed(response)
        if response.status_code != 200:
            raise ServerAway(f"check list: HTTP {response.status_code}")
        try:
            return decode_check_list(response.content).checks
        except RasdError as exc:
            raise ServerAway(f"check list unreadable: {exc.message}") from exc

    async def push(self, batch: ProbeBatch) -> None:
        response = await self._send(
            "POST", BATCH_PATH, content=encode(batch), headers={"Content-Type": "application/json"}
        )
        if response.status_code < 300:
            return
        _refuse_if_not_allowed(response)
        if response.status_code in (400, 413, 422):
            raise BatchRefused(f"HTTP {response.status_code}: {response.text[:300]}")
        raise ServerAway(
            f"batch: HTTP {response.status_code}", _retry_after(response.headers.get("Retry-After"))
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return await self._client.request(
                method,
                self._base + path,
                content=content,
                headers={**self._headers, **(headers or {})},
            )
        except httpx.HTTPError as exc:
            raise ServerAway(f"{type(exc).__name__}: {exc}") from exc


def _refuse_if_not_allowed(response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise NotAllowed(f"HTTP {response.status_code}: the server refused the token")


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class Backoff:
    """Exponential waits with full jitter, so agents coming back do not knock all at once."""

    def __init__(self, base: float, cap: float, rng: random.Random | None = None) -> None:
        self._base = base
        self._cap = cap
        self._rng = rng or random.Random()
        self.failures = 0

    def next_wait(self, hint: float | None = None) -> float:
        self.failures += 1
        ceiling = min(self._cap, self._base * 2 ** min(self.failures - 1, 30))
        wait = self._rng.uniform(self._base / 2, max(ceiling, self._base / 2))
        return max(wait, min(hint, self._cap)) if hint is not None else wait

    def reset(self) -> None:
        self.failures = 0
