"""The ASGI application: one shell around the API's routers and the pages' routers.

It holds what the two sets share and neither owns: the process (`rasd.http.process`), the
error handlers, the middleware, and the lanes that answer some requests in front of the
framework (hashed assets, live streams, pages read again, single reports).
"""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from rasd import __version__
from rasd.api import (
    admin,
    badges,
    check,
    comments,
    export,
    feeds,
    incidents,
    live,
    metrics,
    official,
    posts,
    probes,
    report_lane,
    reports,
    services,
    shapes,
    sources,
    statuspage,
    subscribe,
    token,
)
from rasd.api.live import LiveLane
from rasd.api.metrics import IngestCounting, Metrics
from rasd.api.report_lane import ReportLane
from rasd.http import process
from rasd.http.caching import CachingMiddleware
from rasd.http.guard import CrossSiteGuard, SecurityHeaders
from rasd.runtime import Runtime
from rasd.shell import errors
from rasd.web import assets, pages, site
from rasd.web.assets import Assets
from rasd.web.page_cache import PageLane


class _Application(FastAPI):
    """The framework's application, with the lane for single reports in front of it."""

    lane: ReportLane | None = None
    pages: PageLane | None = None
    live: LiveLane | None = None
    assets: Assets | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.assets is not None
            and scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"] in self.assets
        ):
            await self.assets(scope, receive, send)  # hashed, immutable, pre-compressed
            return
        if (
            self.live is not None
            and scope["type"] == "http"
            and scope["path"] == live.PATH
            and scope["method"] == "GET"
        ):
            await self.live(scope, receive, send)  # a crowd of streams, without the framework
            return
        if (
            self.pages is not None
            and scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
        ):
            await self.pages(scope, receive, send)  # pages read again go no further
            return
        lane = self.lane
        if (
            lane is not None
            and scope["type"] == "http"
            and scope["path"] == report_lane.PATH
            and scope["method"] == "POST"
        ):
            await lane(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(runtime: Runtime) -> FastAPI:
    app = _Application(
        title="Rasd",
        version=__version__,
        summary="Is it down, or is it me? Outages of online services, as they happen.",
        docs_url="/api/docs",
        redoc_url=None,
    )
    process.attach(app, runtime)
    errors.install(app)
    app.include_router(reports.router)
    app.include_router(services.router)
    app.include_router(incidents.router)
    app.include_router(posts.router)
    app.include_router(probes.router)
    app.include_router(check.router)
    app.include_router(comments.router)
    app.include_router(sources.router)
    app.include_router(official.router)
    app.include_router(token.router)
    # telling people: alerts and statements, Statuspage JSON, feeds, badges, CSV, metrics
    app.include_router(admin.router)
    app.include_router(subscribe.router)
    app.include_router(statuspage.router)
    app.include_router(feeds.router)
    app.include_router(badges.router)
    app.include_router(export.router)
    counters = Metrics(runtime)
    counters.time_engine()
    app.state.metrics = counters
    app.include_router(metrics.router)
    finishers = [
        check.document,
        reports.document,
        posts.document,
        subscribe.document,
        shapes.links,
    ]
    shapes.install(app, finishers=finishers)

    @app.get("/api/v1/health", tags=["meta"], summary="Liveness")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    # live updates are the API's; the pages show what the same hub sends
    live.attach(runtime)
    app.include_router(live.router)
    app.include_router(pages.router)
    app.mount("/static", site.static_files(), name="static")
    _add_middleware(app, counters)
    app.lane = ReportLane(runtime, partial(FastAPI.__call__, app), counters.requests)
    app.pages = PageLane(runtime, partial(FastAPI.__call__, app))
    app.live = LiveLane(runtime, partial(FastAPI.__call__, app))
    app.assets = assets.built()
    return app


def _add_middleware(app: FastAPI, counters: Metrics) -> None:
    # the last added runs first: refuse cross-site writes, then add headers, then cache, then
    # count the write requests
    app.add_middleware(IngestCounting, metrics=counters)
    app.add_middleware(CachingMiddleware, rules=site.CACHE_RULES)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CrossSiteGuard)
