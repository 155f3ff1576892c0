from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from probe.local_web import ERROR_5XX, GOOD_TEXT, SLOW, WRONG_TEXT, Certificates, LocalWeb
from rasd.probe.agent import tls_context
from rasd.probe.checks import ProbeContext, run_check
from rasd.probe.checks.authority import AuthorityFinder
from rasd.signals.probes import ProbeCheck


@pytest.fixture
async def ctx(certificates: Certificates) -> AsyncIterator[ProbeContext]:
    tls = tls_context(certificates.ca_file)
    async with httpx.AsyncClient(verify=tls, follow_redirects=True, trust_env=False) as client:
        yield ProbeContext(
            vantage="eu", http=client, tls=tls, resolvers=[], authorities=AuthorityFinder([])
        )


@pytest.fixture
def expired_web(certificates: Certificates) -> Iterator[LocalWeb]:
    server = LocalWeb(certificates.expired_context(days_ago=3)).start()
    yield server
    server.stop()


@pytest.fixture
def untrusted_web(certificates: Certificates) -> Iterator[LocalWeb]:
    server = LocalWeb(certificates.untrusted_context()).start()
    yield server
    server.stop()


def _check(url: str, expect_text: str | None = None, timeout: float = 2.0) -> ProbeCheck:
    return ProbeCheck(
        id=f"svc:http:{url}",
        service="svc",
        kind="http",
        target=url,
        expect_text=expect_text,
        timeout_s=timeout,
    )


async def test_healthy_https_reports_status_and_certificate_days(
    secure_web: LocalWeb, ctx: ProbeContext
) -> None:
    result = await run_check(_check(secure_web.url, expect_text=GOOD_TEXT), ctx)
    assert result.outcome == "ok", result.detail
    assert result.status == 200
    # trustme leaves are valid for years
    assert result.cert_days_left is not None and result.cert_days_left > 300
    assert result.latency_ms is not None and result.latency_ms > 0


async def test_plain_http_has_no_certificate(web: LocalWeb, ctx: ProbeContext) -> None:
    result = await run_check(_check(web.url), ctx)
    assert (result.outcome, result.status, result.cert_days_left) == ("ok", 200, None)


@pytest.mark.parametrize(
    ("mode", "outcome", "status"),
    [(ERROR_5XX, "http_5xx", 503), (WRONG_TEXT, "unexpected_content", 200)],
)
async def test_failing_answers(
    secure_web: LocalWeb, ctx: ProbeContext, mode: str, outcome: str, status: int
) -> None:
    secure_web.mode = mode
    result = await run_check(_check(secure_web.url, expect_text=GOOD_TEXT), ctx)
    assert (result.outcome, result.status) == (outcome, status)


async def test_a_missing_page_is_a_4xx(web: LocalWeb, ctx: ProbeContext) -> None:
    result = await run_check(_check(web.url + "missing"), ctx)
    assert (result.outcome, result.status) == ("http_4xx", 404)


async def test_a_slow_server_is_a_timeout(secure_web: LocalWeb, ctx: ProbeContext) -> None:
    secure_web.mode = SLOW
    secure_web.set_slow(2.0)
    result = await run_check(_check(secure_web.url, timeout=0.4), ctx)
    assert result.outcome == "timeout"
    assert result.status is None


async def test_an_expired_certificate_and_how_long_ago(
    expired_web: LocalWeb, ctx: ProbeContext
) -> None:
    result = await run_check(_check(expired_web.url), ctx)
    assert result.outcome == "cert_expired", result.detail
    assert result.cert_days_left is not None and -3.01 < result.cert_days_left < -2.99
    assert result.status is None


async def test_a_certificate_nobody_trusts_is_a_tls_error(
    untrusted_web: LocalWeb, ctx: ProbeContext
) -> None:
    result = await run_check(_check(untrusted_web.url), ctx)
    assert result.outcome == "tls_error"
    assert result.detail


async def test_nothing_listening_is_a_connect_error(web: LocalWeb, ctx: ProbeContext) -> None:
    url = web.url
    web.stop()
    result = await run_check(_check(url), ctx)
    assert result.outcome == "connect_error"
