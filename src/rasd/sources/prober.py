"""The built-in prober: `rasd serve` probes the catalog's services from its own vantage point.

It is the probe agent's machinery (schedule with jitter, canaries, bounded buffer) with a link
that takes its checks from the catalog and publishes its results to the log, as
`POST /api/v1/probes/batch` does, so they join those of remote agents on the same path. Its
rate is bounded: the intervals are stretched so the catalog fits in `prober_max_checks_per_minute`.
With `offline` on it runs only the checks whose hosts are loopback ones and says `offline`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rasd.errors import RasdError
from rasd.probe.agent import AgentConfig, ProbeAgent
from rasd.probe.uplink import ServerAway
from rasd.signals.probes import ProbeBatch, ProbeCheck, ProbeResult, checks_for_catalog
from rasd.sources.base import SourceStatus

if TYPE_CHECKING:
    from rasd.runtime import Runtime

NAME = "prober"


def rate_scale(checks: list[ProbeCheck], max_per_minute: float, scale: float = 1.0) -> float:
    """The interval scale, at least `scale`, at which the checks run at most `max_per_minute`."""
    natural = sum(60.0 / (c.interval_s * scale) for c in checks)
    return scale if natural <= max_per_minute else scale * natural / max_per_minute


def checks_per_minute(checks: list[ProbeCheck], scale: float) -> float:
    return round(sum(60.0 / (c.interval_s * scale) for c in checks), 1)


class _LogLink:
    """The prober's checks come from the catalog, its results go to the log."""

    def __init__(self, runtime: Runtime, checks: list[ProbeCheck], status: SourceStatus) -> None:
        self._runtime = runtime
        self._checks = checks
        self._status = status

    async def fetch_checks(self) -> list[ProbeCheck]:
        return list(self._checks)

    async def push(self, batch: ProbeBatch) -> None:
        results = [r for r in batch.results if r.service in self._runtime.catalog]
        if not results:
            return
        try:
            await self._runtime.log.publish("probes", results, f"probes:{batch.vantage}:{batch.id}")
        except RasdError as exc:
            # the log is away (a cluster's NATS restarting): the agent holds and sends again
            self._status.noted(f"publish: {exc.message}")
            raise ServerAway(exc.message) from exc
        self._status.counted(len(results))


class _LiveStatus(SourceStatus):
    """A status whose prober facts are read from the prober when it is shown."""

    refresh: Callable[[], None] | None = None

    def snapshot(self) -> dict[str, Any]:
        if self.refresh is not None:
            self.refresh()
        return super().snapshot()


class ProberSource:
    name = NAME
    kind = "probes"

    def __init__(self, runtime: Runtime, config: AgentConfig, checks: list[ProbeCheck]) -> None:
        self._runtime = runtime
        self._status = _LiveStatus(self.name, self.kind, endpoint=f"vantage:{config.region}")
        self._checks = checks
        self.config = config
        self.agent = ProbeAgent(
            config,
            clock=runtime.clock,
            link=_LogLink(runtime, checks, self._status),
            on_result=self._heard,
        )

    def status(self) -> SourceStatus:
        return self._status

    def _heard(self, result: ProbeResult) -> None:
        self._status.seen(1)
        if result.failed and not result.vantage_offline:
            self._status.matched(1)  # failures believed: evidence about a service

    async def run(self, stop: asyncio.Event) -> None:
        self._status.connecting()
        self._status.refresh = self._show
        try:
            await self.agent.run(stop)
        finally:
            self._show()
            self._status.refresh = None

    def _show(self) -> None:
        stats, watch = self.agent.stats, self.agent.watch
        if watch is not None:
            stats.vantage_state, stats.canary_rounds = watch.state, watch.rounds
        self._status.note(
            vantage=self.config.region,
            vantage_state=stats.vantage_state,
            canaries=None if watch is None else watch.snapshot(),
            checks=stats.checks,
            checks_not_run=stats.skipped,
            interval_scale=round(self.config.interval_scale, 4),
            planned_checks_per_minute=checks_per_minute(
                self.agent.runnable, self.config.interval_scale
            ),
            offline_results=stats.offline_results,
            dropped=self.agent.buffer.dropped_total,
        )
        if self.config.offline and stats.skipped:
            self._status.offline(
                f"offline: {stats.skipped} of {len(self._checks)} checks not run "
                "(their hosts are not loopback addresses)"
            )
        elif stats.vantage_state == "offline":
            self._status.offline("this server's own link is down: its canaries fail")
        elif stats.check_list:
            self._status.connected()


def build(runtime: Runtime) -> list[Any]:
    settings = runtime.settings
    if not settings.prober_enabled:
        return []
    checks = checks_for_catalog(runtime.catalog)
    scale = rate_scale(
        checks, settings.prober_max_checks_per_minute, settings.prober_interval_scale
    )
    config = AgentConfig(
        region=settings.prober_vantage,
        server="",
        token="",
        concurrency=settings.prober_concurrency,
        resolvers=list(settings.prober_resolvers),
        interval_scale=scale,
        ca_file=settings.prober_ca_file or None,
        authoritative_port=settings.prober_authoritative_port,
        canaries=list(settings.prober_canaries),
        offline=settings.offline,
    )
    return [ProberSource(runtime, config, checks)]
