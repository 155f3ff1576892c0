"""The polite fetcher against a local server that misbehaves."""

from __future__ import annotations

import pytest

from rasd.sources.status.fetch import NotAllowed, PageFailed, PageFetcher
from sources.status.conftest import UA
from sources.status.http_standin import HttpStandIn, Reply, page


async def test_etag_gives_not_modified(server: HttpStandIn, fetcher: PageFetcher) -> None:
    server.routes["/api/v2/summary.json"] = Reply(page("statuspage-summary.json"), etag='"v1"')
    first = await fetcher.get(server.url("/api/v2/summary.json"))
    assert first.body == page("statuspage-summary.json") and first.etag == '"v1"'
    again = await fetcher.get(server.url("/api/v2/summary.json"), etag=first.etag)
    assert again.body is None
    seen = server.hits("/api/v2/summary.json")
    assert seen[0].headers["user-agent"] == UA and "if-none-match" not in seen[0].headers
    assert seen[1].headers["if-none-match"] == '"v1"'


async def test_last_modified_is_sent_back(server: HttpStandIn, fetcher: PageFetcher) -> None:
    stamp = "Mon, 30 Nov 2026 10:00:00 GMT"
    server.routes["/feed"] = Reply(b"<rss/>", headers={"Last-Modified": stamp})
    first = await fetcher.get(server.url("/feed"))
    await fetcher.get(server.url("/feed"), last_modified=first.last_modified)
    assert server.hits("/feed")[1].headers["if-modified-since"] == stamp


@pytest.mark.parametrize("status", [500, 502, 503, 404])
async def test_errors_are_failures(server: HttpStandIn, fetcher: PageFetcher, status: int) -> None:
    server.routes["/x"] = Reply(b"oops", status)
    with pytest.raises(PageFailed, match=f"HTTP {status}"):
        await fetcher.get(server.url("/x"))


async def test_a_page_that_never_answers_times_out(
    server: HttpStandIn, fetcher: PageFetcher
) -> None:
    server.routes["/slow"] = Reply(b"{}", delay=5.0)
    with pytest.raises(PageFailed, match="no answer within 1 s"):
        await fetcher.get(server.url("/slow"))


async def test_a_50_mb_body_is_cut_off(server: HttpStandIn, fetcher: PageFetcher) -> None:
    server.routes["/huge"] = Reply(huge=50 * 1024 * 1024)
    server.routes["/declared"] = Reply(b"x" * (2 * 1024 * 1024))
    with pytest.raises(PageFailed, match="body over 1048576 bytes"):
        await fetcher.get(server.url("/huge"))
    with pytest.raises(PageFailed, match="body over"):
        await fetcher.get(server.url("/declared"))


async def test_redirects_stay_on_the_same_host(server: HttpStandIn, fetcher: PageFetcher) -> None:
    server.routes["/moved"] = Reply(status=301, headers={"Location": "/here"})
    server.routes["/here"] = Reply(b"{}")
    server.routes["/away"] = Reply(status=302, headers={"Location": "http://localhost:1/x"})
    server.routes["/loop"] = Reply(status=302, headers={"Location": "/loop"})
    assert (await fetcher.get(server.url("/moved"))).body == b"{}"
    with pytest.raises(PageFailed, match="redirect to another host: localhost"):
        await fetcher.get(server.url("/away"))
    with pytest.raises(PageFailed, match="redirects"):
        await fetcher.get(server.url("/loop"))


async def test_offline_only_loopback_is_tried(fetcher: PageFetcher) -> None:
    with pytest.raises(NotAllowed):
        await fetcher.get("https://status.devhub.example/api/v2/summary.json")
