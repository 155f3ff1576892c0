"""Headers every response carries, and the refusal of cross-site writes from browsers.

Browsers say where a request comes from (Sec-Fetch-Site, Origin); API clients send neither,
so refusing cross-site browser writes stops other sites from filing reports through their
visitors while scripts and replays keep working.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rasd.errors import Forbidden

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
)
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# FastAPI's own documentation page loads its viewer from elsewhere and inline
_NO_CSP = ("/api/docs", "/api/redoc")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not scope["path"].startswith(_NO_CSP)

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    if with_csp or name != "content-security-policy":
                        headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, wrapped)


def cross_site(headers: Headers) -> str | None:
    """Why a browser's write must be refused, or None when it comes from this site or no browser."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"Sec-Fetch-Site is {fetch_site}"
    origin = headers.get("origin")
    if origin is None:
        return None
    hosts = {headers.get("host", ""), headers.get("x-forwarded-host", "")} - {""}
    netloc = urlsplit(origin).netloc if origin != "null" else ""
    if netloc not in hosts:
        return f"Origin {origin} is not this site"
    return None


class CrossSiteGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE_METHODS:
            reason = cross_site(Headers(scope=scope))
            if reason is not None:
                error = Forbidden(
                    "writes from other sites are refused; post from this site or from a client",
                    details=[{"field": "Origin", "reason": reason}],
                )
                body = orjson.dumps(error.to_dict())
                await send(
                    {
                        "type": "http.response.start",
                        "status": error.status,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
