from __future__ import annotations

import socket

import httpx
import pytest

from rasd.probe.agent import tls_context
from rasd.probe.checks import ProbeContext, run_check
from rasd.probe.checks.authority import AuthorityFinder
from rasd.probe.checks.connect import split_host_port
from rasd.signals.probes import ProbeCheck


def _tcp(target: str) -> ProbeCheck:
    return ProbeCheck(id=f"svc:tcp:{target}", service="svc", kind="tcp", target=target, timeout_s=1)


async def test_open_and_closed_ports() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    async with httpx.AsyncClient() as client:
        ctx = ProbeContext(
            vantage="me",
            http=client,
            tls=tls_context(None),
            resolvers=[],
            authorities=AuthorityFinder([]),
        )
        try:
            ok = await run_check(_tcp(f"127.0.0.1:{port}"), ctx)
        finally:
            listener.close()
        closed = await run_check(_tcp(f"127.0.0.1:{port}"), ctx)
        bad = await run_check(_tcp("no-port-here"), ctx)
    assert ok.outcome == "ok" and ok.latency_ms is not None
    assert ok.vantage == "me"
    assert closed.outcome == "connect_error"
    assert bad.outcome == "connect_error"


@pytest.mark.parametrize(
    ("target", "expected"),
    [("example.com:443", ("example.com", 443)), ("[2001:db8::1]:8443", ("2001:db8::1", 8443))],
)
def test_split_host_port(target: str, expected: tuple[str, int]) -> None:
    assert split_host_port(target) == expected


def test_split_host_port_refuses_a_missing_port() -> None:
    with pytest.raises(ValueError):
        split_host_port("example.com")
