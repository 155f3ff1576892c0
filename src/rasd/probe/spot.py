"""Check it now: one service or web address checked at once from this server (DNS, HTTPS, TLS).

Anyone may ask, so it must not become a way into networks the server can reach and the asker
cannot. Every name is resolved once and each address it gives is judged before anything is
sent: one address that is not on the public internet (loopback, private, link-local, shared,
reserved, multicast) refuses the whole check. The connection then goes to the very address
judged, never to the name again, so a name that answers differently the second time
(rebinding) gains nothing; each redirect is judged the same way, only ports 80 and 443 are
spoken to, only the status line and headers are read, and the whole check has one deadline.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import h11

from rasd.errors import InvalidInput
from rasd.probe.checks.closing import hang_up
from rasd.probe.reach import is_loopback_host

Resolve = Callable[[str, int], Awaitable[list[str]]]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PORTS = {"https": 443, "http": 80}
_HEADER_LIMIT = 16 * 1024  # a status line and headers larger than this are not a web server's
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_USER_AGENT = "Rasd-check-now/1 (outage check; one request)"


class Refused(InvalidInput):
    """The target is not something a public check may touch."""


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for a name, in its order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


@dataclass
class Hop:
    url: str
    host: str
    addresses: list[str] = field(default_factory=list)
    dns_ms: float | None = None
    status: int | None = None
    location: str | None = None
    web_ms: float | None = None
    tls: dict[str, Any] = field(default_factory=dict)


@dataclass
class SpotResult:
    url: str
    dns: dict[str, Any]
    web: dict[str, Any]
    redirects: list[str]
    verdict: str  # up, down, not_checked (offline)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "verdict": self.verdict,
            "dns": self.dns,
            "https": self.web,
            "redirects": self.redirects,
        }


def _refuse(message: str, value: str, reason: str) -> Refused:
    return Refused(message, details=[{"field": "target", "reason": reason, "value": value[:200]}])


class _Offline(Exception):
    """This server keeps to its own machine: the check is answered, not made."""


def _offline(target: str) -> _Offline:
    return _Offline(target)


def target_url(target: str) -> str:
    """The URL a typed target means: a bare host is its HTTPS home page."""
    text = target.strip()
    if not text:
        raise _refuse("type a service or a web address", target, "empty")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in _PORTS:
        raise _refuse("only http and https addresses are checked", target, "scheme")
    if parts.username or parts.password:
        raise _refuse("an address with a user name or password is not checked", target, "userinfo")
    host = (parts.hostname or "").rstrip(".")
    if not host:  # a name too long for DNS is asked all the same: the answer says nxdomain
        raise _refuse("that is not a web address", target, "host")
    try:
        port = parts.port
    except ValueError as exc:
        raise _refuse("that is not a web address", target, "port") from exc
    if port is not None and port != _PORTS[parts.scheme]:
        raise _refuse("only the usual web ports (80 and 443) are checked", target, "port")
    try:
        host.encode("idna")
    except UnicodeError as exc:
        raise _refuse("that host name cannot be written in DNS", target, "host") from exc
    return text


class SpotChecker:
    def __init__(
        self,
        *,
        tls: ssl.SSLContext | None = None,
        timeout: float = 6.0,
        max_redirects: int = 3,
        resolve: Resolve = system_resolve,
        allow_networks: Sequence[str] = (),
        offline: bool = False,
    ) -> None:
        self.tls = tls or ssl.create_default_context()
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.resolve = resolve
        # only tests name networks here: a server's own services on loopback
        self.allowed: list[IpNetwork] = [ipaddress.ip_network(n) for n in allow_networks]
        self.offline = offline

    def _judge(self, address: str, target: str) -> None:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self.offline and not ip.is_loopback:
            raise _offline(target)
        if any(ip in network for network in self.allowed):
            return
        if not ip.is_global or ip.is_multicast:
            raise _refuse(
                f"{target} leads to {ip}, an address not on the public internet: "
                "only public services are checked",
                target,
                "not public",
            )

    async def check(self, target: str) -> SpotResult:
        url = target_url(target)
        redirects: list[str] = []
        started = time.perf_counter()
        hop = Hop(url=url, host="")
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    hop = await self._hop(url, target)
                    if hop.status in _REDIRECTS and hop.location:
                        if len(redirects) >= self.max_redirects:
                            return self._result(hop, redirects, started, "too_many_redirects")
                        url = target_url(urljoin(hop.url, hop.location))
                        redirects.append(url)
                        continue
                    return self._result(hop, redirects, started, _outcome_of_status(hop.status))
        except TimeoutError:
            return self._result(hop, redirects, started, "timeout")
        except _WebError as exc:
            return self._result(exc.hop, redirects, started, exc.outcome, exc.detail)
        except _Offline:
            not_tried = {"outcome": "not_tried", "detail": "offline"}
            return SpotResult(
                url,
                {**not_tried, "addresses": [], "ms": None},
                {**not_tried, "status": None, "ms": None},
                redirects,
                "not_checked",
            )
        except _DnsError as exc:
            dns = {"outcome": exc.outcome, "addresses": [], "ms": exc.ms, "detail": exc.detail}
            web = {"outcome": "not_tried", "status": None, "ms": None}
            return SpotResult(exc.url, dns, web, redirects, "down")

    async def _hop(self, url: str, target: str) -> Hop:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port or _PORTS[parts.scheme]
        hop = Hop(url=url, host=host)
        if self.offline and not is_loopback_host(host):
            raise _offline(target)  # not even a DNS question leaves the machine
        began = time.perf_counter()
        try:
            literal = ipaddress.ip_address(host)
            hop.addresses = [str(literal)]
        except ValueError:
            try:
                hop.addresses = await self.resolve(host.encode("idna").decode("ascii"), port)
            except socket.gaierror as exc:
                outcome = "nxdomain" if exc.errno == socket.EAI_NONAME else "servfail"
                raise _DnsError(url, outcome, _ms(began), str(exc)) from exc
            except TimeoutError:
                raise
            except OSError as exc:
                raise _DnsError(url, "servfail", _ms(began), str(exc)) from exc
        hop.dns_ms = _ms(began)
        if not hop.addresses:
            raise _DnsError(url, "nxdomain", hop.dns_ms, "no address")
        for address in hop.addresses:
            self._judge(address, target)
        await self._ask(hop, hop.addresses[0], port, parts.scheme == "https", parts)
        return hop

    async def _ask(self, hop: Hop, address: str, port: int, secure: bool, parts: Any) -> None:
        began = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(
                address,
                port,
                ssl=self.tls if secure else None,
                server_hostname=hop.host if secure else None,
                limit=_HEADER_LIMIT,
            )
        except ssl.SSLCertVerificationError as exc:
            outcome = "cert_expired" if exc.verify_code == 10 else "tls_error"
            raise _WebError(hop, outcome, exc.verify_message or str(exc)) from exc
        except ssl.SSLError as exc:
            raise _WebError(hop, "tls_error", exc.reason or str(exc)) from exc
        except OSError as exc:
            raise _WebError(hop, "connect_error", exc.strerror or str(exc)) from exc
        hop_tls = _certificate(writer) if secure else {}
        try:
            conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=_HEADER_LIMIT)
            # typed addresses hold spaces, quotes and the like: sent escaped, as browsers do
            path = quote(parts.path or "/", safe=_PATH_SAFE)
            if parts.query:
                path += "?" + quote(parts.query, safe=_PATH_SAFE + "?")
            request = h11.Request(
                method="GET",
                target=path,
                headers=[
                    ("Host", parts.netloc.rsplit("@", 1)[-1]),
                    ("User-Agent", _USER_AGENT),
                    ("Accept", "*/*"),
                    ("Connection", "close"),
                ],
            )
            writer.write(conn.send(request) + conn.send(h11.EndOfMessage()))
            await writer.drain()
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(4096)
                    conn.receive_data(data)
                    continue
                if isinstance(event, h11.Response):
                    hop.status = event.status_code
                    for name, value in event.headers:
                        if name == b"location":
                            hop.location = value.decode("latin-1")
                    break
                if isinstance(event, h11.ConnectionClosed):
                    raise _WebError(hop, "bad_response", "closed before answering")
        except h11.RemoteProtocolError as exc:
            raise _WebError(hop, "bad_response", str(exc)[:200]) from exc
        except h11.LocalProtocolError as exc:
            raise _refuse("that is not a web address", hop.url, "url") from exc
        except OSError as exc:
            raise _WebError(hop, "connect_error", exc.strerror or str(exc)) from exc
        finally:
            await hang_up(writer)
        hop.web_ms = _ms(began)
        hop.tls = hop_tls

    def _result(
        self,
        hop: Hop,
        redirects: list[str],
        started: float,
        outcome: str,
        detail: str | None = None,
    ) -> SpotResult:
        dns = {
            "outcome": "ok" if hop.addresses else "not_tried",
            "addresses": hop.addresses,
            "ms": hop.dns_ms,
        }
        web = {
            "outcome": outcome,
            "status": hop.status,
            "ms": hop.web_ms if hop.web_ms is not None else _ms(started),
            "cert_days_left": hop.tls.get("days_left"),
            "detail": detail,
        }
        # a server that answers, even "not found", is up; no answer, or a 5xx, is down
        verdict = "up" if outcome in ("ok", "http_4xx") else "down"
        return SpotResult(hop.url, dns, web, redirects, verdict)


class _DnsError(Exception):
    def __init__(self, url: str, outcome: str, ms: float, detail: str) -> None:
        super().__init__(detail)
        self.url, self.outcome, self.ms, self.detail = url, outcome, ms, detail


class _WebError(Exception):
    def __init__(self, hop: Hop, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.hop, self.outcome, self.detail = hop, outcome, detail


def _ms(began: float) -> float:
    return round((time.perf_counter() - began) * 1000.0, 1)


def _outcome_of_status(status: int | None) -> str:
    if status is None:
        return "bad_response"
    if status >= 500:
        return "http_5xx"
    if status >= 400:
        return "http_4xx"
    if status in _REDIRECTS:
        return "redirect_without_location"
    return "ok"


def _certificate(writer: asyncio.StreamWriter) -> dict[str, Any]:
    ssl_object = writer.get_extra_info("ssl_object")
    cert = ssl_object.getpeercert() if ssl_object is not None else None
    not_after = cert.get("notAfter") if cert else None
    if not isinstance(not_after, str):
        return {}
    return {"days_left": round((ssl.cert_time_to_seconds(not_after) - time.time()) / 86400.0, 1)}
