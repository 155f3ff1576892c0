"""The client's address named by a trusted proxy, read as uvicorn reads it, for less.

uvicorn checks every address in X-Forwarded-For against its trusted hosts, parsing each as an
IP address; behind one proxy the header holds one address, which is the client whether it is
trusted or not, so with every request from a new address that check was a cache miss and a
parse a request for an answer known beforehand. Several addresses take uvicorn's own way.

Single report POSTs, the crowd's write, meet the report lane before uvicorn's middleware: the
lane reads the header in its own pass over the headers and names the client by the same rule,
where the middleware's pass and the application's dispatch were a tenth of a report's work.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware, _parse_host_port, _TrustedHosts

from rasd.api import report_lane
from rasd.api.report_lane import ReportLane


class _Hosts(_TrustedHosts):
    def get_trusted_client_address(self, x_forwarded_for: str) -> tuple[str, int]:
        if "," not in x_forwarded_for:
            return _parse_host_port(x_forwarded_for.strip())
        return super().get_trusted_client_address(x_forwarded_for)


def forwarded(app: object, trusted_hosts: list[str] | str) -> ProxyHeadersMiddleware:
    """uvicorn's proxy headers middleware over `app`, trusting what uvicorn would."""
    middleware = ProxyHeadersMiddleware(app, trusted_hosts)  # type: ignore[arg-type]
    middleware.trusted_hosts = _Hosts(trusted_hosts)
    return middleware


def client_of(trusted_hosts: list[str] | str) -> Callable[[str, str], str | None]:
    """The client the middleware above names from a peer and its one X-Forwarded-For header;
    None for several addresses, which the middleware itself reads."""
    hosts = _Hosts(trusted_hosts)

    def named(peer: str, header: str) -> str | None:
        if peer not in hosts:
            return peer
        if "," in header:
            return None
        return _parse_host_port(header.strip())[0] or peer

    return named


class LaneFirst:
    """Single report POSTs to `lane` (placed in front), everything else to `rest`."""

    def __init__(self, lane: ReportLane, rest: ASGIApp) -> None:
        self.lane = lane
        self.rest = rest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == report_lane.PATH
            and scope["method"] == "POST"
        ):
            await self.lane(scope, receive, send)
        else:
            await self.rest(scope, receive, send)


def served(app: object, trusted_hosts: list[str] | str) -> ASGIApp:
    """`app` behind the middleware, with its report lane, if it has one, in front of it."""
    middleware = forwarded(app, trusted_hosts)
    lane: ReportLane | None = getattr(app, "lane", None)
    if lane is None:
        return middleware  # type: ignore[return-value]
    front = lane.in_front(forwarded(lane.route, trusted_hosts), client_of(trusted_hosts))  # type: ignore[arg-type]
    return LaneFirst(front, middleware)  # type: ignore[arg-type]
