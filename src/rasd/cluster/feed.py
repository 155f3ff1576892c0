"""Feeding a cluster from a replay: reports over HTTP to several API processes, minute marks
on the log once each minute's reports are all acknowledged.

The feed keeps its own tally of what the API acknowledged (202), which is what a cluster must
count exactly once, however its parts fail in between. A 503 or a dropped connection is sent
again with the same Idempotency-Key until acknowledged.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import numpy as np
import orjson

from rasd.bus.nats import JetStreamLog
from rasd.errors import RasdError, Unavailable
from rasd.signals.reports import ReportColumns


def report_items(cols: ReportColumns) -> list[dict[str, Any]]:
    """Reports as a client posts them to the batch endpoint, with their own times and
    addresses (an import token allows both). A simulated network becomes its own /24."""
    services = np.array(cols.services, dtype=object)[cols.service].tolist()
    problems = np.array(cols.problems, dtype=object)[cols.problem].tolist()
    places = np.array(cols.places, dtype=object)[cols.place].tolist()
    net = (cols.network % np.uint64(1 << 16)).astype(np.int64)
    out: list[dict[str, Any]] = []
    for ts, service, problem, place, reporter, n in zip(
        cols.ts_ms.tolist(),
        services,
        problems,
        places,
        cols.reporter.tolist(),
        net.tolist(),
        strict=True,
    ):
        country, _, city = place.partition("/")
        item: dict[str, Any] = {
            "service": service,
            "problem": problem,
            "reporter": f"{reporter:016x}",
            "ts": datetime.fromtimestamp(ts / 1000, UTC).isoformat(),
            "ip": f"10.{n >> 8}.{n & 0xFF}.{reporter % 250 + 1}",
        }
        if country != "*":
            item["country"] = country
        if city:
            item["city"] = city
        out.append(item)
    return out


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class ClusterFeed:
    """A replay Sink for a cluster: round robin over API servers, marks after each minute."""

    def __init__(
        self,
        servers: Sequence[str],
        token: str | None,
        log: JetStreamLog | None,
        *,
        batch: int = 5000,
        timeout: float = 30.0,
        give_up_s: float = 300.0,
    ) -> None:
        if not servers:
            raise ValueError("a feed needs at least one server")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._clients = [
            httpx.Client(base_url=s.rstrip("/"), headers=headers, timeout=timeout) for s in servers
        ]
        self._next = 0
        self._batch = batch
        self._give_up_s = give_up_s
        self.log = log
        self.acknowledged: dict[str, int] = {}
        self.retries = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def close(self) -> None:
        for client in self._clients:
            client.close()
        if self._loop is not None and self._thread is not None:
            if self.log is not None:
                asyncio.run_coroutine_threadsafe(self.log.close(), self._loop).result(30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
            self._loop.close()
            self._loop = self._thread = None

    # -- Sink --------------------------------------------------------------------------------------
    def send(self, kind: str, payload: Any, msg_id: str) -> None:
        if kind == "reports":
            body: list[Any] = report_items(payload)
        else:
            body = [msgspec.to_builtins(item) for item in payload]
        self.send_items(kind, body, msg_id)

    def send_items(self, kind: str, body: Sequence[Any], msg_id: str) -> None:
        """Items as the batch endpoint takes them; returns once all are acknowledged."""
        for i, part in enumerate(chunks(body, self._batch)):
            self._post(f"/api/v1/{kind}/batch", part, f"{msg_id}:{i}")
            self.acknowledged[kind] = self.acknowledged.get(kind, 0) + len(part)

    def minute_done(self, minute: int, stats: Any) -> None:
        if self.log is not None:
            self._mark(self.log, minute)

    def finish(self, stats: Any) -> None:
        return None  # every batch was acknowledged when it was sent

    # -- HTTP --------------------------------------------------------------------------------------
    def _post(self, path: str, part: Sequence[Any], key: str) -> None:
        content = orjson.dumps(list(part))
        deadline = time.monotonic() + self._give_up_s
        while True:
            client = self._clients[self._next % len(self._clients)]
            self._next += 1
            try:
                response = client.post(
                    path,
                    content=content,
                    headers={"Content-Type": "application/json", "Idempotency-Key": key},
                )
            except httpx.TransportError:
                wait = 0.25
            else:
                if response.status_code == 202:
                    return
                if response.status_code not in (429, 503):
                    raise RasdError(f"{path} refused the feed: {response.text[:300]}")
                wait = min(float(response.headers.get("Retry-After", "1")), 2.0)
            self.retries += 1
            if time.monotonic() > deadline:
                raise Unavailable(f"no server took {path} for {self._give_up_s:.0f} s")
            time.sleep(wait)

    # -- marks -------------------------------------------------------------------------------------
    def _mark(self, log: JetStreamLog, minute: int) -> None:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
            self._thread.start()
        deadline = time.monotonic() + self._give_up_s
        while True:
            try:
                asyncio.run_coroutine_threadsafe(log.mark(minute), self._loop).result(60)
                return
            except Unavailable:
                if time.monotonic() > deadline:
                    raise
                self.retries += 1
                time.sleep(0.5)
