"""The DNS check: A and AAAA for a name, through a resolver or straight from its zone's servers."""

from __future__ import annotations

import asyncio
import time

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from rasd.probe.checks.authority import AuthorityUnknown, outcome_of_rcode
from rasd.probe.checks.context import ProbeContext, Unreachable
from rasd.probe.checks.nameserver import Nameserver, ask, parse_nameserver
from rasd.signals.probes import AUTHORITATIVE, ProbeCheck, ProbeResult

_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)


class _Verdict:
    __slots__ = ("outcome", "rcode", "detail")

    def __init__(self, outcome: str, rcode: str | None, detail: str | None = None) -> None:
        self.outcome = outcome
        self.rcode = rcode
        self.detail = detail


async def probe_dns(check: ProbeCheck, ctx: ProbeContext) -> ProbeResult:
    started = time.perf_counter()
    ts = ctx.clock.now()
    resolver_label = check.resolver
    try:
        name = dns.name.from_text(check.target)
        async with asyncio.timeout(check.timeout_s):
            if check.resolver == AUTHORITATIVE:
                if ctx.resolvers:
                    ctx.require(ctx.resolvers[0].host)
                elif ctx.reach.offline:
                    raise Unreachable("no resolver this vantage may ask (offline)")
                servers = await ctx.authorities.servers_for(name, check.timeout_s)
                servers = [s for s in servers if ctx.may_contact(s.host)]
                if not servers:
                    raise Unreachable(f"no name server of {name} this vantage may ask (offline)")
                verdict, used = await _ask_in_turn(servers, name, check.timeout_s)
                resolver_label = f"{AUTHORITATIVE}:{used}"
            else:
                server = _resolver_for(check, ctx)
                ctx.require(server.host)
                resolver_label = str(server)
                verdict = await _ask_both(server, name, check.timeout_s, recursion=True)
    except TimeoutError:
        verdict = _Verdict("timeout", None, "no answer in time")
    except AuthorityUnknown as exc:
        verdict = _Verdict(exc.outcome, exc.rcode, f"authoritative servers unknown: {exc.detail}")
    except (dns.exception.DNSException, ValueError) as exc:
        verdict = _Verdict("servfail", None, f"bad name or answer: {exc}")
    return ProbeResult(
        service=check.service,
        check=check.id,
        kind=check.kind,
        target=check.target,
        vantage=ctx.vantage,
        ts=ts,
        outcome=verdict.outcome,
        latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
        rcode=verdict.rcode,
        resolver=resolver_label,
        detail=verdict.detail,
    )


def _resolver_for(check: ProbeCheck, ctx: ProbeContext) -> Nameserver:
    if check.resolver:
        return parse_nameserver(check.resolver)
    if not ctx.resolvers:
        if ctx.reach.offline:
            raise Unreachable("no resolver this vantage may ask (offline)")
        raise AuthorityUnknown("connect_error", None, "the agent has no resolver")
    return ctx.resolvers[0]


async def _ask_both(
    server: Nameserver, name: dns.name.Name, timeout: float, *, recursion: bool
) -> _Verdict:
    answers = await asyncio.gather(
        *(ask(server, name, rdtype, timeout, recursion=recursion) for rdtype in _TYPES),
        return_exceptions=True,
    )
    verdicts = [_judge(answer) for answer in answers]
    for verdict in verdicts:
        if verdict.outcome != "ok":
            return verdict
    addresses = sum(
        1
        for answer in answers
        if isinstance(answer, dns.message.Message)
        for rrset in answer.answer
        if rrset.rdtype in _TYPES
        for _ in rrset
    )
    return _Verdict("ok", verdicts[0].rcode, None if addresses else "no addresses")


def _judge(answer: dns.message.Message | BaseException) -> _Verdict:
    if isinstance(answer, dns.exception.Timeout):
        return _Verdict("timeout", None, "no answer in time")
    if isinstance(answer, OSError):
        return _Verdict("connect_error", None, str(answer))
    if isinstance(answer, BaseException):
        raise answer
    rcode = answer.rcode()
    return _Verdict(outcome_of_rcode(rcode), dns.rcode.to_text(rcode))


async def _ask_in_turn(
    servers: list[Nameserver], name: dns.name.Name, timeout: float
) -> tuple[_Verdict, Nameserver]:
    """The first server that answers decides; a silent one hands over to the next."""
    tried = servers[:3]
    each = timeout / len(tried)
    verdict = _Verdict("timeout", None, "no answer in time")
    for server in tried:
        verdict = await _ask_both(server, name, each, recursion=False)
        if verdict.outcome not in ("timeout", "connect_error"):
            return verdict, server
    verdict.detail = f"no answer from {', '.join(str(s) for s in tried)}"
    return verdict, tried[-1]
