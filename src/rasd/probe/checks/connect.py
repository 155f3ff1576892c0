"""The TCP check: can a connection be opened to host:port, and how long did it take."""

from __future__ import annotations

import asyncio
import time

from rasd.probe.checks.closing import hang_up
from rasd.probe.checks.context import ProbeContext
from rasd.signals.probes import ProbeCheck, ProbeResult


def split_host_port(target: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port`."""
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port_text = rest[1:]
    else:
        host, _, port_text = target.rpartition(":")
    if not host or not port_text.isdigit():
        raise ValueError(f"not host:port: {target!r}")
    return host, int(port_text)


async def probe_tcp(check: ProbeCheck, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    ts = ctx.clock.now()
    detail: str | None = None
    try:
        host, port = split_host_port(check.target)
        ctx.require(host)
        async with asyncio.timeout(check.timeout_s):
            _, writer = await asyncio.open_connection(host, port)
        await hang_up(writer)
        outcome = "ok"
    except TimeoutError:
        outcome, detail = "timeout", f"no connection in {check.timeout_s:g} s"
    except (OSError, ValueError) as exc:
        outcome, detail = "connect_error", str(exc) or type(exc).__name__
    return ProbeResult(
        service=check.service,
        check=check.id,
        kind=check.kind,
        target=check.target,
        vantage=ctx.vantage,
        ts=ts,
        outcome=outcome,
        latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
        detail=detail,
    )
