"""Finding a name's authoritative servers through a resolver, and remembering them.

Remembering matters: when an owner's DNS disappears (its routes withdrawn, as Meta's were in
October 2021), resolvers answer SERVFAIL for the NS lookup too. Asking the servers we knew
before tells "they stopped answering" (timeout) apart from "the resolver is broken".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from rasd.probe.checks.nameserver import Nameserver, ask

DEFAULT_TTL_S = 600.0


class AuthorityUnknown(Exception):
    """The servers could not be found; `outcome` says how the resolver failed."""

    def __init__(self, outcome: str, rcode: str | None, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.rcode = rcode
        self.detail = detail


@dataclass
class _Known:
    servers: list[Nameserver]
    found_at: float


def outcome_of_rcode(rcode: int) -> str:
    if rcode == dns.rcode.NOERROR:
        return "ok"
    if rcode == dns.rcode.NXDOMAIN:
        return "nxdomain"
    if rcode == dns.rcode.REFUSED:
        return "refused"
    # FORMERR, NOTIMP and the rest: the server could not give an answer
    return "servfail"


class AuthorityFinder:
    """Authoritative servers per zone, found through `resolvers` and kept for `ttl_s`.

    `port` is where the authoritative servers listen (53 on the Internet; tests use others).
    """

    def __init__(
        self, resolvers: list[Nameserver], *, port: int = 53, ttl_s: float = DEFAULT_TTL_S
    ) -> None:
        self._resolvers = resolvers
        self._port = port
        self._ttl_s = ttl_s
        self._zone_of: dict[dns.name.Name, dns.name.Name] = {}
        self._known: dict[dns.name.Name, _Known] = {}

    async def servers_for(self, name: dns.name.Name, timeout: float) -> list[Nameserver]:
        zone = self._zone_of.get(name)
        known = self._known.get(zone) if zone is not None else None
        if known is not None and time.monotonic() - known.found_at < self._ttl_s:
            return known.servers
        try:
            zone = await self._find_zone(name, timeout)
            servers = await self._find_servers(zone, timeout)
        except AuthorityUnknown:
            if known is not None:
                return known.servers  # stale but still the best guess
            raise
        self._zone_of[name] = zone
        self._known[zone] = _Known(servers, time.monotonic())
        return servers

    def _resolver(self) -> Nameserver:
        if not self._resolvers:
            raise AuthorityUnknown("connect_error", None, "no resolver to find the servers")
        return self._resolvers[0]

    async def _lookup(
        self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, timeout: float
    ) -> dns.message.Message:
        try:
            answer = await ask(self._resolver(), qname, rdtype, timeout)
        except dns.exception.Timeout as exc:
            raise AuthorityUnknown("timeout", None, f"{rdtype.name} {qname}: no answer") from exc
        except OSError as exc:
            raise AuthorityUnknown("connect_error", None, f"{rdtype.name} {qname}: {exc}") from exc
        rcode = answer.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise AuthorityUnknown(
                outcome_of_rcode(rcode),
                dns.rcode.to_text(rcode),
                f"{rdtype.name} {qname}: {dns.rcode.to_text(rcode)}",
            )
        return answer

    async def _find_zone(self, name: dns.name.Name, timeout: float) -> dns.name.Name:
        # the SOA in the answer (at the apex) or in the authority section names the zone
        answer = await self._lookup(name, dns.rdatatype.SOA, timeout)
        for rrset in [*answer.answer, *answer.authority]:
            if rrset.rdtype == dns.rdatatype.SOA:
                return rrset.name
        raise AuthorityUnknown("servfail", None, f"no SOA for {name}")

    async def _find_servers(self, zone: dns.name.Name, timeout: float) -> list[Nameserver]:
        answer = await self._lookup(zone, dns.rdatatype.NS, timeout)
        hosts = [
            rdata.target
            for rrset in answer.answer
            if rrset.rdtype == dns.rdatatype.NS
            for rdata in rrset
        ]
        glue = {
            rrset.name: [rdata.address for rdata in rrset]
            for rrset in answer.additional
            if rrset.rdtype == dns.rdatatype.A
        }
        servers: list[Nameserver] = []
        for host in sorted(hosts):
            addresses = glue.get(host)
            if addresses is None:
                found = await self._lookup(host, dns.rdatatype.A, timeout)
                addresses = [
                    rdata.address
                    for rrset in found.answer
                    if rrset.rdtype == dns.rdatatype.A
                    for rdata in rrset
                ]
            servers += [Nameserver(str(address), self._port) for address in addresses]
        if not servers:
            raise AuthorityUnknown("servfail", None, f"no name server addresses for {zone}")
        return servers
