"""Canaries against real servers on 127.0.0.1: a vantage is offline only when all of them fail."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator

import httpx
import pytest

from probe.local_dns import SERVFAIL, LocalDns
from probe.local_web import LocalWeb
from rasd.probe.canary import CANARY_SERVICE, DEFAULT_CANARIES, VantageWatch, parse_canaries
from rasd.probe.checks import ProbeContext, may_run, run_check
from rasd.probe.checks.authority import AuthorityFinder
from rasd.probe.checks.nameserver import Nameserver
from rasd.probe.reach import Reach
from rasd.signals.probes import ProbeCheck


def test_canaries_are_written_as_urls_ports_and_names() -> None:
    web, port, name, own = parse_canaries(
        ["https://www.wikipedia.org/", "tcp:9.9.9.9:53", "dns:canary.test@127.0.0.1:5353",
         "dns:example.org", "  "]
    )  # fmt: skip
    assert (web.kind, web.service) == ("http", CANARY_SERVICE)
    assert web.target == "https://www.wikipedia.org/"
    assert (port.kind, port.target) == ("tcp", "9.9.9.9:53")
    assert (name.kind, name.target, name.resolver) == ("dns", "canary.test", "127.0.0.1:5353")
    assert (own.kind, own.resolver) == ("dns", None)
    assert len(parse_canaries(DEFAULT_CANARIES)) == len(DEFAULT_CANARIES)


@pytest.mark.parametrize("bad", ["ftp://x/", "tcp:nohost", "dns:", "dns:@1.2.3.4", "wikipedia"])
def test_a_bad_canary_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_canaries([bad])


@contextlib.asynccontextmanager
async def _context(offline: bool = False) -> AsyncIterator[ProbeContext]:
    async with httpx.AsyncClient(trust_env=False) as client:
        yield ProbeContext(
            vantage="here",
            http=client,
            tls=ssl.create_default_context(),
            resolvers=[],
            authorities=AuthorityFinder([]),
            reach=Reach(offline),
        )


def test_offline_the_default_canaries_are_not_contacted() -> None:
    async def main() -> list[ProbeCheck]:
        async with _context(offline=True) as ctx:
            local = parse_canaries(["http://127.0.0.1:9/", "dns:x.test@127.0.0.1:53"])
            return [c for c in [*parse_canaries(DEFAULT_CANARIES), *local] if may_run(c, ctx)]

    assert [c.target for c in asyncio.run(main())] == ["http://127.0.0.1:9/", "x.test"]


def test_a_vantage_is_offline_only_when_every_canary_fails(
    web: LocalWeb, local_dns: LocalDns
) -> None:
    canaries = parse_canaries([web.url, f"dns:www.example.test@{local_dns.address}"], timeout_s=0.5)

    async def main() -> None:
        async with _context(offline=True) as ctx:
            watch = VantageWatch(canaries, lambda c: run_check(c, ctx), min_gap_s=0.2)
            assert watch.state == "unknown"
            assert await watch.check() is False
            assert watch.state == "online"  # type: ignore[comparison-overlap]  # changed by check()

            # one canary down is not the vantage's link
            local_dns.set_mode("example.test.", SERVFAIL)
            assert await watch.check() is False
            assert watch.last is not None
            assert watch.last.outcomes == {web.url: "ok", "www.example.test": "servfail"}

            # both down: offline; failures seen at the same moment share one round
            web.stop()
            rounds = watch.rounds
            seen_at = watch.now()
            verdicts = await asyncio.gather(*(watch.offline_since(seen_at) for _ in range(5)))
            assert verdicts == [True] * 5
            assert watch.rounds == rounds + 1
            assert watch.state == "offline"
            assert watch.snapshot()["last_round"]["offline"] is True
            await watch.close()

    asyncio.run(main())


def test_a_failure_waits_for_a_round_that_began_after_it(web: LocalWeb) -> None:
    (canary,) = parse_canaries([web.url], timeout_s=0.5)

    async def main() -> None:
        async with _context(offline=True) as ctx:
            watch = VantageWatch([canary], lambda c: run_check(c, ctx), min_gap_s=0.3)
            assert await watch.check() is False  # a round while the link was up
            web.stop()
            # the earlier round said "online", but it began before this failure was seen
            assert await watch.offline_since(watch.now()) is True
            assert watch.rounds == 2

    asyncio.run(main())


def test_without_canaries_every_failure_is_believed() -> None:
    async def main() -> None:
        async with _context() as ctx:
            watch = VantageWatch([], lambda c: run_check(c, ctx))
            assert await watch.offline_since(watch.now()) is False
            assert (watch.state, watch.rounds) == ("unknown", 0)

    asyncio.run(main())


def test_no_name_server_off_loopback_is_asked_offline() -> None:
    async def main() -> bool:
        async with _context(offline=True) as ctx:
            ctx.resolvers = [Nameserver("192.0.2.53")]
            return may_run(ProbeCheck(id="d", service="s", kind="dns", target="a.test"), ctx)

    assert asyncio.run(main()) is False
