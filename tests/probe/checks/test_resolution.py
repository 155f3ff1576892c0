from __future__ import annotations

from collections.abc import AsyncIterator

import dns.name
import httpx
import pytest

from probe.local_dns import HEALTHY, NXDOMAIN, SERVFAIL, SILENT, LocalDns
from rasd.probe.agent import tls_context
from rasd.probe.checks import ProbeContext, run_check
from rasd.probe.checks.authority import AuthorityFinder
from rasd.probe.checks.nameserver import Nameserver, parse_nameserver
from rasd.signals.probes import AUTHORITATIVE, ProbeCheck


@pytest.fixture
async def ctx(local_dns: LocalDns) -> AsyncIterator[ProbeContext]:
    resolvers = [parse_nameserver(local_dns.address)]
    async with httpx.AsyncClient() as client:
        yield ProbeContext(
            vantage="eu",
            http=client,
            tls=tls_context(None),
            resolvers=resolvers,
            authorities=AuthorityFinder(resolvers, port=local_dns.port),
        )


def _check(
    resolver: str | None, target: str = "www.example.test", timeout: float = 1.0
) -> ProbeCheck:
    return ProbeCheck(
        id=f"svc:dns:{target}@{resolver}",
        service="svc",
        kind="dns",
        target=target,
        resolver=resolver,
        timeout_s=timeout,
    )


@pytest.mark.parametrize(
    ("mode", "outcome", "rcode"),
    [
        (HEALTHY, "ok", "NOERROR"),
        (SERVFAIL, "servfail", "SERVFAIL"),
        (NXDOMAIN, "nxdomain", "NXDOMAIN"),
    ],
)
async def test_dns_through_a_named_resolver(
    local_dns: LocalDns, ctx: ProbeContext, mode: str, outcome: str, rcode: str
) -> None:
    local_dns.set_mode("example.test.", mode)
    result = await run_check(_check(local_dns.address), ctx)
    assert (result.outcome, result.rcode) == (outcome, rcode)
    assert result.resolver == local_dns.address
    assert result.vantage == "eu" and result.kind == "dns"
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert result.ts.tzinfo is not None


async def test_silent_resolver_is_a_timeout(local_dns: LocalDns, ctx: ProbeContext) -> None:
    local_dns.set_mode("example.test.", SILENT)
    result = await run_check(_check(None, timeout=0.3), ctx)
    assert result.outcome == "timeout"
    assert result.rcode is None


async def test_the_agents_own_resolver_when_the_check_names_none(
    local_dns: LocalDns, ctx: ProbeContext
) -> None:
    # a name with only an A record: the AAAA question is NODATA, which is fine
    result = await run_check(_check(None, target="api.example.test"), ctx)
    assert result.outcome == "ok"
    assert result.resolver == local_dns.address
    missing = await run_check(_check(None, target="gone.example.test"), ctx)
    assert missing.outcome == "nxdomain"


async def test_a_resolver_that_is_not_there(ctx: ProbeContext, local_dns: LocalDns) -> None:
    # a name outside the server's zones is REFUSED
    result = await run_check(_check(local_dns.address, target="www.other.test"), ctx)
    assert result.outcome == "refused"


async def test_authoritative_servers_are_found_and_asked_directly(
    local_dns: LocalDns, ctx: ProbeContext
) -> None:
    result = await run_check(_check(AUTHORITATIVE), ctx)
    assert result.outcome == "ok"
    assert result.resolver == f"authoritative:127.0.0.1:{local_dns.port}"
    servers = await ctx.authorities.servers_for(dns.name.from_text("www.example.test"), 1.0)
    assert servers == [Nameserver("127.0.0.1", local_dns.port)]


async def test_authoritative_servers_known_before_are_asked_when_lookup_fails(
    local_dns: LocalDns, ctx: ProbeContext
) -> None:
    assert (await run_check(_check(AUTHORITATIVE), ctx)).outcome == "ok"
    # the owner's servers go silent: resolvers cannot find them, the known ones do not answer
    local_dns.set_mode("example.test.", SILENT)
    result = await run_check(_check(AUTHORITATIVE, timeout=0.6), ctx)
    assert result.outcome == "timeout"


async def test_authoritative_servers_unknown_when_the_resolver_fails(
    local_dns: LocalDns, ctx: ProbeContext
) -> None:
    local_dns.set_mode("example.test.", SERVFAIL)
    result = await run_check(_check(AUTHORITATIVE), ctx)
    assert result.outcome == "servfail"
    assert result.detail is not None and "authoritative servers unknown" in result.detail


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.9.9.9", Nameserver("9.9.9.9", 53)),
        ("127.0.0.1:5353", Nameserver("127.0.0.1", 5353)),
        ("[::1]:5300", Nameserver("::1", 5300)),
        ("2001:db8::1", Nameserver("2001:db8::1", 53)),
    ],
)
def test_parse_nameserver(text: str, expected: Nameserver) -> None:
    assert parse_nameserver(text) == expected
