"""Reading request bodies with a size cap, before anything is parsed."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from rasd.errors import BodyTooLarge, MalformedBody


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError as exc:
            raise MalformedBody("the Content-Length header is not a number") from exc
        if size > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect as exc:
        # nobody is left to answer, but a client that hangs up mid-body is no server fault:
        # without this it was logged as one, traceback and all, which cost more than the read
        raise MalformedBody(
            "the client closed the connection before its body was sent",
            details=[{"field": None, "reason": "incomplete", "received_bytes": total}],
        ) from exc
    body = b"".join(chunks)
    if not body:
        raise MalformedBody("the request has no body", details=[{"field": None, "reason": "empty"}])
    return body


def _too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"the body is larger than {limit} bytes",
        details=[{"field": None, "reason": "too large", "limit_bytes": limit}],
    )


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    peer = request.client.host if request.client else ""
    return address_of(peer, request.headers.get("x-forwarded-for"), trusted_proxies)


def address_of(peer: str, forwarded_for: str | None, trusted_proxies: list[str]) -> str:
    """The client's address: the peer's, unless the peer is a proxy we trust to name it."""
    if peer in trusted_proxies and forwarded_for:
        first = forwarded_for.split(",")[0].strip()
        if first:
            return first
    return peer
