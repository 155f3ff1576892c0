"""Replay: drive a scenario through the real ingest path on a virtual clock.

In process, each simulated minute is fed to the aggregator (counted at once, stored behind,
so that the next minute is counted while this one is written), and the detection tick runs
for it once it is stored. Over HTTP, each minute's reports go to a running server's batch
endpoint with their own timestamps (an import token allows that). Message ids are derived from
the scenario, seed and minute, so replaying twice into one store counts nothing twice.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
import msgspec
import numpy as np
import orjson

from rasd.clock import VirtualClock, minute_of, minute_start
from rasd.errors import Forbidden, RasdError, Unauthorized, Unavailable
from rasd.signals.reports import ReportColumns


@dataclass
class ReplayStats:
    minutes: int = 0
    reports: int = 0
    posts: int = 0
    probes: int = 0
    routes: int = 0
    seconds: float = 0.0
    changes: list[tuple[str, str]] = field(default_factory=list)  # (kind, incident id)

    @property
    def reports_per_second(self) -> float:
        return self.reports / self.seconds if self.seconds else 0.0


class Sink(Protocol):
    def send(self, kind: str, payload: Any, msg_id: str) -> None: ...

    def minute_done(self, minute: int, stats: ReplayStats) -> None: ...

    def finish(self, stats: ReplayStats) -> None:
        """After the last minute: whatever is still under way is done on return."""


class InProcessSink:
    """Straight into this process's aggregator and detection engine.

    Every minute is fed (counted now, stored behind), so that counting a minute overlaps with
    storing the ones before it. A minute's detection tick runs once all of that minute is
    stored: as soon as it is, or when more than `ahead` minutes wait, or at the end.
    """

    def __init__(
        self,
        feed: Callable[[str, Any, str], Future[None]],
        clock: VirtualClock,
        tick: Callable[[int], list[Any]] | None,
        *,
        ahead: int = 4,
    ) -> None:
        self._feed = feed
        self._clock = clock
        self._tick = tick
        self._ahead = ahead
        self._minute: list[Future[None]] = []
        self._waiting: deque[tuple[int, list[Future[None]]]] = deque()

    def send(self, kind: str, payload: Any, msg_id: str) -> None:
        self._minute.append(self._feed(kind, payload, msg_id))

    def minute_done(self, minute: int, stats: ReplayStats) -> None:
        end = minute_start(minute + 1)
        if end > self._clock.now():
            self._clock.set(end)
        self._waiting.append((minute, self._minute))
        self._minute = []
        while self._waiting and (
            len(self._waiting) > self._ahead or all(f.done() for f in self._waiting[0][1])
        ):
            self._settle(stats)

    def finish(self, stats: ReplayStats) -> None:
        while self._waiting:
            self._settle(stats)

    def _settle(self, stats: ReplayStats) -> None:
        minute, stored = self._waiting.popleft()
        for future in stored:
            future.result()  # a minute that was not stored stops the replay
        if self._tick is not None:
            for change in self._tick(minute):
                stats.changes.append((str(change.kind), str(change.incident.id)))


class HttpSink:
    """To a running server, as any client would send it.

    `shift` moves every timestamp (a scenario of 2021 re-enacted now against a server on the
    system clock); without it the server must be on the scenario's time.
    """

    def __init__(
        self,
        server: str,
        token: str | None,
        *,
        batch: int = 10_000,
        timeout: float = 60.0,
        shift: timedelta = timedelta(0),
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=timeout)
        self._batch = batch
        self._missing: set[str] = set()
        self.shift = shift

    def close(self) -> None:
        self._client.close()

    def check_access(self) -> None:
        """Before anything is sent: the server answers and the token may import.

        Without the import scope reports would lose their own times and addresses and posts and
        probe results would be refused, after minutes of sending; better one clear line first.
        """
        where = self._client.base_url
        try:
            response = self._client.get("/api/v1/token")
        except httpx.TransportError as exc:
            raise Unavailable(f"no Rasd server answers at {where} ({exc})") from exc
        if response.status_code == 401:
            raise Unauthorized(f"{where} needs an import token: give one with --token")
        if response.status_code == 403:
            raise Forbidden(f"{where} does not know the token given, or it was revoked")
        if response.status_code != 200:
            raise RasdError(
                f"{where} did not answer as a Rasd server (HTTP {response.status_code} "
                "for /api/v1/token)"
            )
        scopes = response.json().get("scopes", [])
        if "import" not in scopes and "admin" not in scopes:
            raise Forbidden(
                f"the token may {', '.join(scopes) or 'do nothing'} on {where}, not import: "
                "make one with `rasd tokens create --scope import`"
            )

    def send(self, kind: str, payload: Any, msg_id: str) -> None:
        if kind == "reports":
            for i, chunk in enumerate(_report_dicts(payload, self._batch, self.shift)):
                self._post("/api/v1/reports/batch", chunk, f"{msg_id}:{i}")
        # routes have no push API: a server reads BGP from its own route source
        elif kind in ("posts", "probes") and kind not in self._missing:
            time_field = "created" if kind == "posts" else "ts"
            body = [self._shifted(_plain(item), time_field) for item in payload]
            path = f"/api/v1/{kind}/batch"
            for i in range(0, len(body), self._batch):
                self._post(path, body[i : i + self._batch], f"{msg_id}:{i}", optional=kind)

    def _shifted(self, item: dict[str, Any], field: str) -> dict[str, Any]:
        if self.shift and field in item:
            when = datetime.fromisoformat(str(item[field]).replace("Z", "+00:00"))
            item[field] = (when + self.shift).isoformat()
        return item

    def _post(self, path: str, body: Any, key: str, optional: str | None = None) -> None:
        content = orjson.dumps(body)
        for attempt in range(8):
            try:
                response = self._client.post(
                    path,
                    content=content,
                    headers={"Content-Type": "application/json", "Idempotency-Key": key},
                )
            except httpx.TransportError:
                time.sleep(min(2**attempt * 0.25, 5))
                continue
            if response.status_code in (429, 503):
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code == 404 and optional:
                self._missing.add(optional)
                return
            if response.status_code >= 400:
                raise RasdError(f"the server refused the replay at {path}: {response.text[:500]}")
            return
        raise Unavailable(f"the server at {self._client.base_url} did not take the replay")

    def minute_done(self, minute: int, stats: ReplayStats) -> None:
        return None

    def finish(self, stats: ReplayStats) -> None:
        return None  # every batch was acknowledged when it was sent


def placement(first: datetime, minutes: int, speed: float | None, now: datetime) -> timedelta:
    """How far to move a scenario's times so that it happens now and never in the future.

    Minute i is sent i * 60 / speed seconds after the start (`Replay._pace`). Faster than real
    time, the scenario would run ahead of the server's clock, which refuses times more than a
    few minutes ahead; so it is placed to end as its last minute is sent, its earlier minutes
    in the recent past. In real time (speed 1) and slower, it starts now. At full speed (None)
    it ends now.
    """
    last = max(minutes - 1, 0)
    if speed is None:
        ahead = -60.0 * (last + 1)
    else:
        ahead = min(0.0, last * 60.0 * (1.0 / speed - 1.0))
    return now - first + timedelta(seconds=ahead)


def _plain(item: Any) -> Any:
    return msgspec.to_builtins(item)


def _report_dicts(
    cols: ReportColumns, size: int, shift: timedelta = timedelta(0)
) -> Iterator[list[dict[str, Any]]]:
    shift_ms = int(shift.total_seconds() * 1000)
    services = np.array(cols.services, dtype=object)[cols.service]
    problems = np.array(cols.problems, dtype=object)[cols.problem]
    places = np.array(cols.places, dtype=object)[cols.place]
    out: list[dict[str, Any]] = []
    for ts, service, problem, place, reporter, network in zip(
        cols.ts_ms.tolist(),
        services.tolist(),
        problems.tolist(),
        places.tolist(),
        cols.reporter.tolist(),
        cols.network.tolist(),
        strict=True,
    ):
        country, _, city = place.partition("/")
        item: dict[str, Any] = {
            "service": service,
            "problem": problem,
            "reporter": f"{reporter:016x}",
            "country": country,
            "ts": datetime.fromtimestamp((ts + shift_ms) / 1000, UTC).isoformat(),
            # a unique-local IPv6 /48 per simulated network: 40 bits keep networks apart
            "ip": _network_address(network),
        }
        if city:
            item["city"] = city
        out.append(item)
        if len(out) == size:
            yield out
            out = []
    if out:
        yield out


def _network_address(network: int) -> str:
    bits = network & ((1 << 40) - 1)
    return f"fd{bits >> 32:02x}:{(bits >> 16) & 0xFFFF:x}:{bits & 0xFFFF:x}::1"


class Replay:
    def __init__(
        self,
        simulation: Any,
        sink: Sink,
        *,
        speed: float | None = None,
        on_minute: Callable[[int, ReplayStats], None] | None = None,
        label: str | None = None,
        official: Callable[[list[Any]], None] | None = None,
        ahead: bool = False,
    ) -> None:
        self.sim = simulation
        # the next minute drawn in a process of its own while this one is handed over
        self.ahead = ahead
        # the scenario's statements, handed over in the minute they were made
        self.official = official
        self._said: dict[int, list[Any]] = {}
        for statement in getattr(simulation.scenario, "statements", []):
            self._said.setdefault(minute_of(statement.at), []).append(statement)
        self.sink = sink
        self.speed = speed
        # told after each minute is handed over: how a command shows progress, the replay
        # itself knows nothing of terminals
        self.on_minute = on_minute
        self.label = label or f"{simulation.scenario.name}:{simulation.seed}"
        self.stopped = False

    def run(self) -> ReplayStats:
        stats = ReplayStats()
        started = time.perf_counter()
        minutes = self.sim.minutes(ahead=True) if self.ahead else self.sim.minutes()
        try:
            for i, traffic in enumerate(minutes):
                if self.stopped:
                    break
                self._pace(started, i)
                minute = traffic.minute
                base = f"{self.label}:{minute}"
                if len(traffic.reports):
                    self.sink.send("reports", traffic.reports, f"{base}:reports")
                    stats.reports += len(traffic.reports)
                if traffic.posts:
                    self.sink.send("posts", traffic.posts, f"{base}:posts")
                    stats.posts += len(traffic.posts)
                if traffic.probes:
                    self.sink.send("probes", traffic.probes, f"{base}:probes")
                    stats.probes += len(traffic.probes)
                said = self._said.get(minute)
                if said and self.official is not None:
                    self.official(said)
                if traffic.routes:
                    self.sink.send("routes", traffic.routes, f"{base}:routes")
                    stats.routes += len(traffic.routes)
                self.sink.minute_done(minute, stats)
                stats.minutes += 1
                if self.on_minute is not None:
                    self.on_minute(minute, stats)
        finally:
            close = getattr(minutes, "close", None)
            if close is not None:  # a process drawing ahead stops with it
                close()
        self.sink.finish(stats)
        stats.seconds = time.perf_counter() - started
        return stats

    def _pace(self, started: float, i: int) -> None:
        if not self.speed:
            return
        due = started + i * 60.0 / self.speed
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
