"""One renderer for every error: `{"error": {"code", "message", "details"}}` with its status.

The shell (`rasd.shell.errors`) hooks it up as the app's exception handlers; the lanes in
front of the framework call it themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Match

from rasd.errors import RasdError
from rasd.http.responses import JSON

_log = logging.getLogger("rasd.api")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    503: "unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}


def render(exc: RasdError) -> JSON:
    return JSON(exc.to_dict(), status_code=exc.status, headers=exc.headers)


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(routes: list[BaseRoute], request: Request) -> str:
    """`Allow` of a 405: the methods of every route on the path, not only the first one's
    (a path with GET and POST declared apart is two routes to the router)."""
    return ", ".join(
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    )


def internal(exc: Exception) -> JSON:
    """A failure of ours: logged in full, shown as little as possible."""
    _log.exception("unhandled error", exc_info=exc)
    return JSON(
        error_body("internal", "something went wrong on our side; nothing was changed"),
        status_code=500,
    )
