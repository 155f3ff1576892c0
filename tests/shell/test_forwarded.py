from typing import Any

import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from rasd.shell.forwarded import client_of, forwarded

HEADERS = [
    [(b"x-forwarded-for", b"203.0.113.9")],
    [(b"x-forwarded-for", b" 203.0.113.9:4321 ")],
    [(b"x-forwarded-for", b"203.0.113.9, 127.0.0.1")],
    [(b"x-forwarded-for", b"198.51.100.1, 203.0.113.9")],
    [(b"x-forwarded-for", b"127.0.0.1")],
    [(b"x-forwarded-for", b"")],
    [(b"x-forwarded-for", b"203.0.113.9"), (b"x-forwarded-for", b"127.0.0.1")],
    [(b"x-forwarded-for", b"[2001:db8::1]:80"), (b"x-forwarded-proto", b"https")],
    [],
]
PEERS = ["127.0.0.1", "198.51.100.7"]
TRUSTED = ["127.0.0.1", "*", "127.0.0.1,203.0.113.0/24", [], ["127.0.0.1", "198.51.100.7"]]


async def _client(app: Any, peer: str, headers: list[tuple[bytes, bytes]]) -> Any:
    seen: dict[str, Any] = {}

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.update(client=scope["client"], scheme=scope["scheme"])

    scope = {"type": "http", "client": (peer, 5000), "scheme": "http", "headers": headers}
    await app(inner)(scope, None, None)
    return seen


@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("trusted", TRUSTED)
async def test_the_client_is_the_one_uvicorn_names(
    headers: list[tuple[bytes, bytes]], peer: str, trusted: str | list[str]
) -> None:
    ours = await _client(lambda app: forwarded(app, trusted), peer, headers)
    theirs = await _client(lambda app: ProxyHeadersMiddleware(app, trusted), peer, headers)
    assert ours == theirs


@pytest.mark.parametrize("peer", ["127.0.0.1", "198.51.100.7"])
async def test_with_no_trusted_proxy_the_header_names_no_one(peer: str) -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.9")]
    seen = await _client(lambda app: forwarded(app, []), peer, headers)
    assert seen["client"] == (peer, 5000)


@pytest.mark.parametrize("headers", [h for h in HEADERS if len(h) == 1])
@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("trusted", TRUSTED)
async def test_the_report_lane_names_the_client_uvicorn_names(
    headers: list[tuple[bytes, bytes]], peer: str, trusted: str | list[str]
) -> None:
    """The lane in front of the middleware, from the one header, or it leaves it to uvicorn."""
    named = client_of(trusted)(peer, headers[0][1].decode("latin-1"))
    theirs = await _client(lambda app: ProxyHeadersMiddleware(app, trusted), peer, headers)
    if named is None:
        assert b"," in headers[0][1]
    else:
        assert named == theirs["client"][0]
