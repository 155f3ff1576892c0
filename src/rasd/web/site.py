"""Puts the site on the API's app: pages, static files and the headers they need."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from rasd.http.caching import CachingMiddleware
from rasd.web import pages
from rasd.web.guard import CrossSiteGuard, SecurityHeaders

STATIC = Path(__file__).parent / "static"
STATIC_MAX_AGE = 300


def install_site(app: FastAPI) -> None:
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    # the last added runs first: refuse cross-site writes, then add headers, then cache
    app.add_middleware(CachingMiddleware, rules=[("/static/", STATIC_MAX_AGE)])
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CrossSiteGuard)
