"""Canaries: unrelated targets a vantage point checks to know whether its own uplink is up.

A vantage point that loses its link sees every service fail at once. Before a failure is
believed, the vantage checks a few well-known targets that have nothing to do with the
services probed, in a round that starts after the failure was seen: when every canary fails
too, the vantage is offline and the failure says nothing about the service.

A canary is written as text: a URL (`https://www.wikipedia.org/`), `tcp:host:port`, or
`dns:name` / `dns:name@resolver` (through the vantage's own resolver unless one is named).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from rasd.probe.checks.connect import split_host_port
from rasd.settings import DEFAULT_CANARIES
from rasd.signals.probes import OK, ProbeCheck, ProbeResult

__all__ = ["DEFAULT_CANARIES", "CanaryRound", "VantageWatch", "parse_canaries"]

CANARY_SERVICE = "@canary"

VantageState = Literal["unknown", "online", "offline"]


def parse_canary(text: str, *, timeout_s: float = 5.0) -> ProbeCheck:
    """One canary from its text; ValueError says what is wrong with it."""
    spec = text.strip()
    if spec.startswith(("http://", "https://")):
        return ProbeCheck(
            id=f"canary:{spec}", service=CANARY_SERVICE, kind="http", target=spec,
            timeout_s=timeout_s,
        )  # fmt: skip
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ValueError(f"a canary is a URL, tcp:host:port or dns:name[@resolver]: {text!r}")
    if kind == "tcp":
        split_host_port(rest)
        return ProbeCheck(
            id=f"canary:{spec}", service=CANARY_SERVICE, kind="tcp", target=rest,
            timeout_s=timeout_s,
        )  # fmt: skip
    if kind == "dns":
        name, _, resolver = rest.partition("@")
        if not name:
            raise ValueError(f"a DNS canary needs a name: {text!r}")
        return ProbeCheck(
            id=f"canary:{spec}", service=CANARY_SERVICE, kind="dns", target=name,
            resolver=resolver or None, timeout_s=timeout_s,
        )  # fmt: skip
    raise ValueError(f"unknown canary kind {kind!r} in {text!r}")


def parse_canaries(texts: Sequence[str], *, timeout_s: float = 5.0) -> list[ProbeCheck]:
    return [parse_canary(text, timeout_s=timeout_s) for text in texts if text.strip()]


@dataclass
class CanaryRound:
    """One round: when it ran, and what each canary answered."""

    at: datetime
    offline: bool
    outcomes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "offline": self.offline,
            "outcomes": dict(self.outcomes),
        }


Runner = Callable[[ProbeCheck], Awaitable[ProbeResult]]


class VantageWatch:
    """Judges failures by canary rounds, shared among the failures that wait for the same one.

    A round starts at most every `min_gap_s`, so a service that is really down (every check
    failing) costs a few canary checks a minute, not one round per failure. With no canaries
    nothing is judged: the state stays `unknown` and every failure is believed.
    """

    def __init__(
        self,
        canaries: Sequence[ProbeCheck],
        run: Runner,
        *,
        min_gap_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.canaries = list(canaries)
        self._run = run
        self._min_gap_s = min_gap_s
        self._clock = clock
        self._wall = wall
        self._round: asyncio.Task[bool] | None = None
        self._started = float("-inf")
        self.last: CanaryRound | None = None
        self.rounds = 0

    @property
    def state(self) -> VantageState:
        if self.last is None:
            return "unknown"
        return "offline" if self.last.offline else "online"

    def now(self) -> float:
        return self._clock()

    async def offline_since(self, seen_at: float) -> bool:
        """Whether the vantage is offline, by the first round that starts at or after `seen_at`
        (a time from `now()`, taken when the failure was seen)."""
        if not self.canaries:
            return False
        while True:
            task = self._round
            if task is not None and self._started >= seen_at:
                return await asyncio.shield(task)
            if task is not None and not task.done():
                await asyncio.wait({task})
                continue
            wait = self._started + self._min_gap_s - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self._start()

    async def check(self) -> bool:
        """A round now (or the one under way); True when offline."""
        return await self.offline_since(self._clock())

    def _start(self) -> None:
        self._started = self._clock()
        self._round = asyncio.create_task(self._one_round())

    async def _one_round(self) -> bool:
        answers = await asyncio.gather(
            *(self._run(c) for c in self.canaries), return_exceptions=True
        )
        # a canary check that broke is a canary that did not answer
        outcomes = {
            canary.target: answer.outcome if isinstance(answer, ProbeResult) else "connect_error"
            for canary, answer in zip(self.canaries, answers, strict=True)
        }
        offline = all(outcome != OK for outcome in outcomes.values())
        self.rounds += 1
        self.last = CanaryRound(self._wall(), offline, outcomes)
        return offline

    async def close(self) -> None:
        """Ends a round still under way (the vantage is stopping)."""
        task, self._round = self._round, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def snapshot(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "canaries": [c.id.removeprefix("canary:") for c in self.canaries],
            "rounds": self.rounds,
            "last_round": None if self.last is None else self.last.to_dict(),
        }
