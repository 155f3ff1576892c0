"""GET /api/v1/token: what the caller's bearer token may do, so a client can check first.

A replay over HTTP asks this before it sends anything: a token that cannot import would
otherwise be found out only after minutes of refused batches.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from rasd.api.shapes import errors
from rasd.errors import Forbidden, Unauthorized
from rasd.http.auth import bearer
from rasd.http.process import runtime_of
from rasd.http.responses import JSON
from rasd.tokens import SCOPES

router = APIRouter(prefix="/api/v1", tags=["meta"])


@router.get(
    "/token",
    summary="The scopes of the bearer token sent (import, ingest, admin)",
    responses=errors(401, 403),
)
async def get_token(request: Request) -> JSON:
    runtime = runtime_of(request)
    token = bearer(request)
    if token is None:
        raise Unauthorized(
            "send a bearer token to learn its scopes",
            details=[{"field": "Authorization", "reason": "missing"}],
            headers={"WWW-Authenticate": "Bearer"},
        )
    scopes = [scope for scope in SCOPES if runtime.auth.allows(token, scope)]
    if not scopes:
        raise Forbidden(
            "the token is not known to this server, or it was revoked",
            details=[{"field": "Authorization", "reason": "unknown"}],
        )
    return JSON({"scopes": scopes})
