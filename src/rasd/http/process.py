"""The process an app serves: the shell puts it on the app once, every route reads it here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request

if TYPE_CHECKING:
    from rasd.runtime import Runtime


def attach(app: Starlette, runtime: Runtime) -> None:
    app.state.runtime = runtime


def runtime_of(request: Request) -> Runtime:
    """The process of the app that took this request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def require(request: Request, scope: str) -> str:
    """The request's bearer token, if it holds `scope` (else 401 or 403, in the one shape)."""
    return runtime_of(request).auth.require(request, scope)
