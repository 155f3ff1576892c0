"""Name servers and the one question the agent asks them, over UDP with a TCP fallback."""

from __future__ import annotations

from dataclasses import dataclass

import dns.asyncquery
import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.resolver


@dataclass(frozen=True)
class Nameserver:
    host: str
    port: int = 53

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_nameserver(text: str, default_port: int = 53) -> Nameserver:
    """`ip`, `ip:port`, `[v6]` or `[v6]:port`; a bare IPv6 address takes the default port."""
    text = text.strip()
    if not text:
        raise ValueError("empty name server")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else default_port
        return Nameserver(host, port)
    if text.count(":") == 1:
        host, _, port_text = text.partition(":")
        return Nameserver(host, int(port_text))
    return Nameserver(text, default_port)


def system_nameservers() -> list[Nameserver]:
    """The host's own resolvers, as its resolver configuration names them."""
    try:
        configured = dns.resolver.Resolver(configure=True).nameservers
    except dns.resolver.NoResolverConfiguration:
        return []
    return [Nameserver(str(ns)) for ns in configured]


async def ask(
    server: Nameserver,
    qname: dns.name.Name,
    rdtype: dns.rdatatype.RdataType,
    timeout: float,
    *,
    recursion: bool = True,
) -> dns.message.Message:
    """One query; raises dns.exception.Timeout or OSError when no answer comes back."""
    query = dns.message.make_query(qname, rdtype)
    if not recursion:
        query.flags &= ~dns.flags.RD
    answer = await dns.asyncquery.udp(query, server.host, timeout=timeout, port=server.port)
    if answer.flags & dns.flags.TC:
        answer = await dns.asyncquery.tcp(query, server.host, timeout=timeout, port=server.port)
    return answer
