"""The checks an agent runs: DNS (resolution), HTTP(S) (web) and TCP (connect)."""

from __future__ import annotations

from urllib.parse import urlsplit

from rasd.probe.checks.connect import probe_tcp, split_host_port
from rasd.probe.checks.context import ProbeContext, Unreachable
from rasd.probe.checks.nameserver import parse_nameserver
from rasd.probe.checks.resolution import probe_dns
from rasd.probe.checks.web import probe_http
from rasd.signals.probes import AUTHORITATIVE, ProbeCheck, ProbeResult

__all__ = ["ProbeContext", "Unreachable", "may_run", "run_check"]


def may_run(check: ProbeCheck, ctx: ProbeContext) -> bool:
    """Whether the first host the check contacts is one this vantage may reach; the name
    servers an authoritative check finds are asked about again when it runs."""
    try:
        if check.kind == "http":
            host = urlsplit(check.target).hostname or ""
        elif check.kind == "tcp":
            host = split_host_port(check.target)[0]
        elif check.resolver and check.resolver != AUTHORITATIVE:
            host = parse_nameserver(check.resolver).host
        elif ctx.resolvers:
            host = ctx.resolvers[0].host
        else:
            return not ctx.reach.offline
    except ValueError:
        return True  # a malformed target fails as a result, which is worth seeing
    return ctx.may_contact(host)


async def run_check(check: ProbeCheck, ctx: ProbeContext) -> ProbeResult:
    """The check's result; raises Unreachable when it would contact a host it may not."""
    if check.kind == "dns":
        return await probe_dns(check, ctx)
    if check.kind == "http":
        return await probe_http(check, ctx)
    if check.kind == "tcp":
        return await probe_tcp(check, ctx)
    raise ValueError(f"unknown check kind: {check.kind!r}")
