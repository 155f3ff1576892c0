"""Reading request bodies with a size cap, before anything is parsed."""

from __future__ import annotations

from starlette.requests import Request

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
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        chunks.append(chunk)
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
    if peer in trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return peer
