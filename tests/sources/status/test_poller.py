"""The status-page source in full: local pages of every format, read, deduplicated, handed
to the official board, with broken pages beside good ones."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rasd.assembly import embedded
from rasd.catalog import Catalog, default_catalog
from rasd.cli.options import settings_from
from rasd.clock import VirtualClock, minute_of
from rasd.signals.official import OfficialBoard
from rasd.sources.cursors import Cursors
from rasd.sources.status.fetch import PageFetcher
from rasd.sources.status.poller import Page, StatusPageSource, pages_of
from rasd.store import Store
from rasd.web import views
from sources.standin import wait_for
from sources.status.http_standin import HttpStandIn, Reply, page

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)


def _source(
    pages: list[Page], store: Store, fetcher: PageFetcher, **kw: object
) -> tuple[StatusPageSource, OfficialBoard]:
    board = OfficialBoard(store, VirtualClock(NOW))
    source = StatusPageSource(
        pages,
        board,
        fetcher,
        cursors=Cursors(store),
        seed=1,
        **{"spread": 0.5, **kw},  # type: ignore[arg-type]
    )
    return source, board


def _page(
    server: HttpStandIn, kind: str, path: str, *services: tuple[str, tuple[str, ...]]
) -> Page:
    link = server.url(path.rsplit("/", 1)[0] + "/")
    return Page(kind, link, server.url(path), list(services) or [("svc", ())])


async def test_catalog_pages_are_shared_by_their_services() -> None:
    pages = {p.url: p for p in pages_of(default_catalog())}
    workspace = pages["https://www.google.com/appsstatus/dashboard/incidents.json"]
    assert workspace.services == [("gmail", ("Gmail",)), ("google-drive", ("Google Drive",))]
    assert pages["https://www.githubstatus.com/api/v2/summary.json"].kind == "statuspage"
    assert pages["https://metastatus.com/"].kind == "http"
    assert len(pages["https://metastatus.com/"].services) >= 4


async def test_statuspage_read_then_not_modified_then_closed_by_history(
    server: HttpStandIn, store: Store, fetcher: PageFetcher
) -> None:
    server.routes["/api/v2/summary.json"] = Reply(page("statuspage-summary.json"), etag='"a"')
    server.routes["/api/v2/incidents.json"] = Reply(page("statuspage-incidents.json"))
    p = _page(
        server, "statuspage", "/api/v2/summary.json", ("github", ()), ("actions", ("Actions",))
    )
    source, board = _source([p], store, fetcher)
    assert await source.poll(p), p.error
    word = board.word("actions")
    assert word is not None and word.view.state == "degraded"
    evidence = board.evidence("github")
    assert evidence is not None and evidence.signal == "official" and evidence.observed == 1
    kept = board.updates("actions", oldest_first=True)
    # the summary's two updates, the history's resolution, and the maintenance's is not Actions'
    assert [u["status"] for u in kept] == ["investigating", "identified", "resolved"]
    assert kept[0]["text"].startswith("We are investigating") and kept[0]["url"]
    assert len(board.updates("github")) == 4

    # unchanged: 304, the same word, nothing stored twice, the history not read again
    assert await source.poll(p), p.error
    assert source.not_modified == 1 and len(server.hits("/api/v2/incidents.json")) == 1
    assert server.hits("/api/v2/summary.json")[1].headers["if-none-match"] == '"a"'
    assert len(board.updates("github")) == 4

    # the incident is over: it leaves the summary, so the history is read for its last word
    server.routes["/api/v2/summary.json"] = Reply(page("statuspage-summary-quiet.json"), etag='"b"')
    assert await source.poll(p)
    assert len(server.hits("/api/v2/incidents.json")) == 2
    assert board.word("actions").view.state == "operational"  # type: ignore[union-attr]
    assert board.evidence("github").observed == 0  # type: ignore[union-attr]


async def test_updates_are_kept_once_across_a_restart(
    server: HttpStandIn, store: Store, fetcher: PageFetcher
) -> None:
    server.routes["/v2.0.0/current"] = Reply(page("slack-current.json"))
    p = _page(server, "slack", "/v2.0.0/current", ("slack", ("Messaging",)))
    source, board = _source([p], store, fetcher)
    assert await source.poll(p)
    assert len(board.updates("slack")) == 2
    # a new process: fresh memory, the same store
    p2 = _page(server, "slack", "/v2.0.0/current", ("slack", ("Messaging",)))
    again, board2 = _source([p2], store, fetcher)
    again._restore(p2)
    assert len(p2.seen) == 2
    assert await again.poll(p2)
    assert again.status().totals["matched"] == 0
    assert len(board2.updates("slack")) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (
            Reply(b"<!doctype html><html>Down for maintenance</html>", content_type="text/html"),
            "HTML",
        ),
        (Reply(b'{"status": {"indicator": '), "malformed JSON"),
        (Reply(b"bad gateway", 502), "HTTP 502"),
        (Reply(b"{}", delay=3.0), "no answer"),
        (Reply(huge=50 * 1024 * 1024), "body over"),
        (Reply(status=302, headers={"Location": "http://localhost:9/"}), "another host"),
    ],
)
async def test_one_broken_page_never_stops_the_others(
    server: HttpStandIn, store: Store, fetcher: PageFetcher, reply: Reply, reason: str
) -> None:
    server.routes["/bad/api/v2/summary.json"] = reply
    server.routes["/good/api/v2/summary.json"] = Reply(page("incidentio-summary.json"))
    server.routes["/good/api/v2/incidents.json"] = Reply(b'{"incidents": null}')
    server.routes["/google/incidents.json"] = Reply(page("google-incidents.json"))
    server.routes["/instatus/v3/summary.json"] = Reply(page("instatus-summary.json"))
    server.routes["/feed/rss"] = Reply(
        page("feed-entities.xml"), content_type="application/rss+xml"
    )
    pages = [
        _page(server, "statuspage", "/bad/api/v2/summary.json", ("broken", ())),
        _page(server, "incidentio", "/good/api/v2/summary.json", ("chatgpt", ("ChatGPT",))),
        _page(server, "google", "/google/incidents.json", ("gmail", ("Gmail",))),
        _page(server, "instatus", "/instatus/v3/summary.json", ("cloud", ())),
        _page(server, "feed", "/feed/rss", ("health", ())),
    ]
    source, board = _source(pages, store, fetcher, concurrency=2)
    stop = asyncio.Event()
    task = asyncio.create_task(source.run(stop))
    try:
        good = ("chatgpt", "gmail", "cloud", "health")
        await wait_for(
            lambda: pages[0].error is not None and all(board.word(s) for s in good), timeout=15
        )
    finally:
        stop.set()
        await task
    assert pages[0].error is not None and reason in pages[0].error
    assert board.word("broken") is None
    assert board.word("chatgpt").view.severity == 2  # type: ignore[union-attr]
    assert board.word("gmail").view.severity == 2  # type: ignore[union-attr]
    assert board.word("cloud").view.severity == 3  # type: ignore[union-attr]
    assert board.word("health").view.severity is None  # type: ignore[union-attr]
    assert len(board.updates("health")) == 2
    snap = source.status().snapshot()
    assert snap["state"] == "connected" and snap["detail"]["pages_failing"] == 1
    assert reason in (snap["last_error"] or "") or reason in str(snap["detail"]["failing"])


async def test_a_page_with_an_open_incident_is_read_every_minute(
    store: Store, fetcher: PageFetcher
) -> None:
    source, _ = _source([], store, fetcher, interval=300.0, hot_interval=60.0,
                        hot=lambda: {"hot-service"})  # fmt: skip
    quiet = Page("statuspage", "https://a.test/", "https://a.test/s.json", [("calm", ())])
    rasd_open = Page(
        "statuspage", "https://b.test/", "https://b.test/s.json", [("hot-service", ())]
    )
    page_open = Page("statuspage", "https://c.test/", "https://c.test/s.json", [("calm", ())],
                     open_ids={"inc-1"})  # fmt: skip
    assert source._interval_for(quiet) == 300.0
    assert source._interval_for(rasd_open) == 60.0
    assert source._interval_for(page_open) == 60.0


async def test_offline_pages_elsewhere_are_quietly_offline(
    store: Store, fetcher: PageFetcher
) -> None:
    catalog: Catalog = default_catalog()
    pages = pages_of(catalog)
    source, board = _source(pages, store, fetcher)
    stop = asyncio.Event()
    task = asyncio.create_task(source.run(stop))
    try:
        await wait_for(lambda: all(p.offline for p in pages), timeout=10)
        await wait_for(lambda: source.status().state == "offline", timeout=5)
    finally:
        stop.set()
        await task
    snap = source.status().snapshot()
    assert snap["last_error"] is None and "loopback" in snap["detail"]["offline_reason"]
    assert board.services() == []


async def test_offline_is_said_at_the_first_reads_not_after_every_page(
    store: Store, fetcher: PageFetcher
) -> None:
    # the first reads are spread over two minutes: the first pages tried tell already
    pages = pages_of(default_catalog())
    source, _ = _source(pages, store, fetcher, spread=120.0)
    stop = asyncio.Event()
    task = asyncio.create_task(source.run(stop))
    try:
        await wait_for(lambda: source.status().state == "offline", timeout=60)
        assert not all(p.offline for p in pages)
    finally:
        stop.set()
        await task


async def test_in_rasd_serve_a_local_page_admitting_an_outage_opens_an_incident(
    server: HttpStandIn, tmp_path: Path
) -> None:
    """The whole path as `rasd serve` wires it: a catalog file names a page on 127.0.0.1, the
    registry builds the source, its word reaches detection and its update the timeline."""
    server.routes["/api/v2/summary.json"] = Reply(page("incidentio-summary.json"))
    server.routes["/api/v2/incidents.json"] = Reply(b'{"incidents": null}')
    catalog = tmp_path / "local.toml"
    catalog.write_text(
        "\n".join([
            "[[service]]", 'id = "local-app"', 'name = { en = "Local App", ar = "تطبيق محلي" }',
            'owner = "example-inc"', 'category = "social"', 'dns_provider = "example-inc"',
            'problems = ["app"]', "popularity = 0.1", "endpoints = []",
            f'status_url = "{server.url("/")}"', 'status_kind = "incidentio"',
            'status_components = ["ChatGPT"]', "",
            "[[owner]]", 'id = "example-inc"', 'name = { en = "Example Inc", ar = "مثال" }', "",
        ])
    )  # fmt: skip
    settings = settings_from(
        store_url=f"sqlite:///{tmp_path / 'r.db'}", catalog_files=[catalog], offline=True,
        prober_enabled=False, jetstream_enabled=False, ris_live_enabled=False,
    )  # fmt: skip
    clock = VirtualClock(NOW)
    runtime = embedded(settings, clock=clock)
    try:
        source = runtime.sources.get("status-pages")
        assert isinstance(source, StatusPageSource)
        source._spread = 0.1
        # the catalog's other pages are not on loopback: offline, only this one is read
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.sources.run(stop))
        board = runtime.official
        try:
            await wait_for(lambda: board.word("local-app") is not None, timeout=30)
        finally:
            stop.set()
            await task
        engine = runtime.detector()
        minute = minute_of(NOW)
        kinds = [str(c.kind) for m in range(minute, minute + 10) for c in engine.tick(m)]
        assert "opened" in kinds
        (incident,) = runtime.store.list_incidents(service="local-app")
        assert any(r["code"] == "official" for r in incident.data["evidence"]["reasons"])
        entries = views.service(runtime, "local-app", "en")["timeline"]
        official = [e for e in entries if e["source"] == "official"]
        assert official[0]["text"].startswith("Cause identified: Elevated errors in ChatGPT")
        snap = source.status().snapshot()
        assert snap["detail"]["pages_read"] == 1 and snap["detail"]["pages_offline"] >= 5
    finally:
        runtime.store.close()
