"""The checks an agent runs: DNS (resolution), HTTP(S) (web) and TCP (connect)."""

from __future__ import annotations

from rasd.probe.checks.connect import probe_tcp
from rasd.probe.checks.context import ProbeContext
from rasd.probe.checks.resolution import probe_dns
from rasd.probe.checks.web import probe_http
from rasd.signals.probes import ProbeCheck, ProbeResult

__all__ = ["ProbeContext", "run_check"]


async def run_check(check: ProbeCheck, ctx: ProbeContext) -> ProbeResult:
    if check.kind == "dns":
        return await probe_dns(check, ctx)
    if check.kind == "http":
        return await probe_http(check, ctx)
    if check.kind == "tcp":
        return await probe_tcp(check, ctx)
    raise ValueError(f"unknown check kind: {check.kind!r}")
