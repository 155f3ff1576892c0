"""GET /api/v1/sources: what each live source of this process is doing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rasd.api.shapes import errors
from rasd.errors import NotFound
from rasd.http.process import runtime_of
from rasd.http.responses import JSON
from rasd.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["sources"])


def _listing(rt: Runtime) -> dict[str, Any]:
    items = rt.sources.statuses()
    return {"offline": rt.settings.offline, "count": len(items), "items": items}


@router.get(
    "/sources",
    summary="The live sources (posts streams, status pages, BGP, probes) and their state",
)
async def list_sources(request: Request) -> JSON:
    return JSON(_listing(runtime_of(request)))


@router.get(
    "/sources/{name}",
    summary="One live source and its state",
    responses=errors(404),
)
async def get_source(request: Request, name: str) -> JSON:
    source = runtime_of(request).sources.get(name)
    if source is None:
        raise NotFound(
            f"no source is named {name!r}", details=[{"field": "name", "reason": "unknown"}]
        )
    return JSON(source.status().snapshot())
