"""The site's static files: where they are and how long a browser keeps them."""

from __future__ import annotations

from pathlib import Path

from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
STATIC_MAX_AGE = 300
# Cache-Control rules of the pages' files, by path prefix
CACHE_RULES = [("/static/", STATIC_MAX_AGE)]


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC, check_dir=False)
