"""The ASGI application: routers, the error renderer, and the runtime they share."""

from __future__ import annotations

from fastapi import FastAPI

from rasd import __version__
from rasd.api import (
    admin,
    badges,
    errors,
    export,
    feeds,
    incidents,
    metrics,
    posts,
    probes,
    reports,
    services,
    shapes,
    statuspage,
    subscribe,
)
from rasd.runtime import Runtime
from rasd.web.site import install_site


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Rasd",
        version=__version__,
        summary="Is it down, or is it me? Outages of online services, as they happen.",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    errors.install(app)
    app.include_router(reports.router)
    app.include_router(services.router)
    app.include_router(incidents.router)
    app.include_router(posts.router)
    app.include_router(probes.router)
    # telling people: alerts and statements, Statuspage JSON, feeds, badges, CSV, metrics
    app.include_router(admin.router)
    app.include_router(subscribe.router)
    app.include_router(statuspage.router)
    app.include_router(feeds.router)
    app.include_router(badges.router)
    app.include_router(export.router)
    metrics.install(app, runtime)
    shapes.install(app)

    @app.get("/api/v1/health", tags=["meta"], summary="Liveness")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    install_site(app)
    return app
