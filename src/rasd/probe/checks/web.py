"""The HTTP(S) check: status, latency, TLS trouble, days left on the certificate, expected text."""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509

from rasd.probe.checks.closing import hang_up
from rasd.probe.checks.context import ProbeContext
from rasd.signals.probes import ProbeCheck, ProbeResult

# OpenSSL's X509_V_ERR_CERT_HAS_EXPIRED
_CERT_HAS_EXPIRED = 10
_SECONDS_PER_DAY = 86400.0


async def probe_http(check: ProbeCheck, ctx: ProbeContext) -> ProbeResult:
    ctx.require(urlsplit(check.target).hostname or "")
    started = time.perf_counter()
    ts = ctx.clock.now()
    status: int | None = None
    days_left: float | None = None
    detail: str | None = None
    try:
        async with asyncio.timeout(check.timeout_s):
            async with ctx.http.stream("GET", check.target, timeout=check.timeout_s) as response:
                status = response.status_code
                days_left = _days_left(response, ts)
                outcome = _outcome_of_status(status)
                if outcome == "ok" and check.expect_text is not None:
                    text = await _read_text(response, ctx.body_limit)
                    if check.expect_text not in text:
                        outcome = "unexpected_content"
                        detail = f"text not found: {check.expect_text[:80]}"
    except (TimeoutError, httpx.TimeoutException):
        outcome, detail = "timeout", f"no complete answer in {check.timeout_s:g} s"
    except httpx.TransportError as exc:
        outcome, detail = _outcome_of_transport_error(exc)
        if outcome == "cert_expired":
            days_left = await _days_left_unverified(check.target, ctx, ts)
    except httpx.HTTPError as exc:
        outcome, detail = "connect_error", f"{type(exc).__name__}: {exc}"
    return ProbeResult(
        service=check.service,
        check=check.id,
        kind=check.kind,
        target=check.target,
        vantage=ctx.vantage,
        ts=ts,
        outcome=outcome,
        latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
        status=status,
        cert_days_left=days_left,
        detail=detail,
    )


def _outcome_of_status(status: int) -> str:
    if status >= 500:
        return "http_5xx"
    if status >= 400:
        return "http_4xx"
    return "ok"


async def _read_text(response: httpx.Response, limit: int) -> str:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit].decode(response.encoding or "utf-8", errors="replace")


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _outcome_of_transport_error(exc: httpx.TransportError) -> tuple[str, str]:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            if cause.verify_code == _CERT_HAS_EXPIRED:
                return "cert_expired", cause.verify_message
            return "tls_error", cause.verify_message or str(cause)
        if isinstance(cause, ssl.SSLError):
            return "tls_error", cause.reason or str(cause)
    return "connect_error", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _days_left(response: httpx.Response, now: datetime) -> float | None:
    stream: Any = response.extensions.get("network_stream")
    if stream is None:
        return None
    ssl_object = stream.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert()
    not_after = cert.get("notAfter") if cert else None
    if not isinstance(not_after, str):
        return None
    return round((ssl.cert_time_to_seconds(not_after) - now.timestamp()) / _SECONDS_PER_DAY, 3)


async def _days_left_unverified(url: str, ctx: ProbeContext, now: datetime) -> float | None:
    """An expired certificate fails verification, so read its date over a second, unverified
    handshake: how long ago it expired says whether someone forgot a renewal or a clock is off."""
    parts = urlsplit(url)
    if parts.hostname is None:
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(2.0):
            _, writer = await asyncio.open_connection(
                parts.hostname, parts.port or 443, ssl=context, server_hostname=parts.hostname
            )
    except (OSError, TimeoutError):
        return None
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    finally:
        await hang_up(writer)
    if not der:
        return None
    not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    return round((not_after - now.astimezone(UTC)).total_seconds() / _SECONDS_PER_DAY, 3)
