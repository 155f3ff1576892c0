"""POST /api/v1/reports and /api/v1/reports/batch: people saying "I have a problem"."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from rasd.api.idempotency import message_id
from rasd.api.shapes import from_struct
from rasd.errors import InvalidInput
from rasd.http.auth import bearer
from rasd.http.body import client_address, read_body
from rasd.http.process import runtime_of
from rasd.http.responses import JSON
from rasd.ingest.reports import BatchParts, ReportIn, decode_one
from rasd.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["reports"])

SINGLE_BODY_LIMIT = 64 * 1024
# reports decoded between two turns of the event loop: about 0.3 ms of work
_SLICE = 1000

# completed from the catalog and the map by document() below: what ReportValidator checks
_REPORT_SCHEMA: dict[str, Any] = {"type": "object"}


def report_schema(rt: Runtime) -> dict[str, Any]:
    """A report as `ReportIn` decodes it and `ReportValidator` checks it (null is absent)."""
    by_problems: dict[tuple[str, ...], list[str]] = {}
    for service in rt.catalog:
        by_problems.setdefault(tuple(sorted(service.problems)), []).append(service.id)
    problems = sorted({p for group in by_problems for p in group})
    refine: dict[str, dict[str, Any]] = {
        "service": {"enum": list(rt.catalog.services), "description": "Service id."},
        "problem": {"enum": problems, "description": "One of the service's problem types."},
        "reporter": {
            "minLength": 1,
            "maxLength": 200,
            "description": "A key that stays the same for one person.",
        },
        "country": {"enum": rt.places.countries, "description": "ISO 3166 alpha-2 code."},
        "city": {"description": "City name (needs country); one not known counts in its country."},
        "lat": {"minimum": -90, "maximum": 90},
        "lon": {"minimum": -180, "maximum": 180},
        "ts": {
            "format": "date-time",
            "description": "Import token only (else 403), within 400 days before now.",
        },
        "ip": {
            "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}],
            "description": "Client address; import token only (else 403).",
        },
    }
    return {
        **from_struct(ReportIn, refine),
        "allOf": [
            # the problem is one of that service's
            {
                "oneOf": [
                    {"properties": {"service": {"enum": ids}, "problem": {"enum": list(group)}}}
                    for group, ids in by_problems.items()
                ]
            },
            # a place: a country, or latitude and longitude
            {
                "anyOf": [
                    {"required": ["country"], "properties": {"country": {"type": "string"}}},
                    {
                        "required": ["lat", "lon"],
                        "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                    },
                ]
            },
            # latitude and longitude go together
            {
                "anyOf": [
                    {
                        "required": ["lat", "lon"],
                        "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                    },
                    {"properties": {"lat": {"type": "null"}, "lon": {"type": "null"}}},
                ]
            },
            # a city needs its country
            {
                "anyOf": [
                    {"properties": {"city": {"type": "null"}}},
                    {"required": ["country"], "properties": {"country": {"type": "string"}}},
                ]
            },
        ],
    }


def document(doc: dict[str, Any], rt: Runtime) -> None:
    """Both report routes' bodies, from the catalog and the map this process checks against."""
    one = report_schema(rt)
    paths = doc["paths"]
    paths["/api/v1/reports"]["post"]["requestBody"]["content"]["application/json"] = {"schema": one}
    batch = paths["/api/v1/reports/batch"]["post"]["requestBody"]["content"]
    batch["application/json"] = {
        "schema": {
            "type": "array",
            "items": one,
            "minItems": 1,
            "maxItems": rt.settings.batch_max,
        }
    }


_ACCEPTED = {
    "202": {
        "description": "Accepted and durable.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"accepted": {"type": "integer"}, "id": {"type": "string"}},
                }
            }
        },
    }
}


@router.post(
    "/reports",
    status_code=202,
    summary="Report a problem with a service",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _REPORT_SCHEMA}},
        },
        "responses": _ACCEPTED,
    },
)
async def post_report(request: Request) -> JSON:
    rt = runtime_of(request)
    client = client_address(request, rt.settings.trusted_proxies)
    rt.limiters.requests.take(client)
    body = await read_body(request, SINGLE_BODY_LIMIT)
    item = decode_one(body)
    trusted = rt.auth.allows(bearer(request), "import")
    rows = [rt.validator.to_row(item, client_ip=client, trusted=trusted)]
    msg_id = message_id(request.headers.get("idempotency-key"), "reports")
    await rt.log.publish("reports", rows, msg_id)
    return JSON({"accepted": 1, "id": msg_id}, status_code=202)


@router.post(
    "/reports/batch",
    status_code=202,
    summary="Report many problems at once (JSON array or NDJSON)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": _REPORT_SCHEMA}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        },
        "responses": _ACCEPTED,
    },
)
async def post_batch(request: Request) -> JSON:
    rt = runtime_of(request)
    client = client_address(request, rt.settings.trusted_proxies)
    rt.limiters.requests.take(client)
    # a batch's reports cost far more to decode than its bytes to read: its cap is tighter
    cap = min(rt.settings.body_max_bytes, rt.settings.report_batch_max_bytes)
    body = await read_body(request, cap)
    items = await _decode_in_slices(
        BatchParts(body, request.headers.get("content-type", ""), rt.settings.batch_max)
    )
    if not items:
        raise InvalidInput("the batch is empty", details=[{"field": "$", "reason": "empty"}])
    trusted = rt.auth.allows(bearer(request), "import")
    cols = rt.validator.to_columns(items, client_ip=client, trusted=trusted)
    msg_id = message_id(request.headers.get("idempotency-key"), "reports")
    await rt.log.publish("reports", cols, msg_id)
    return JSON({"accepted": len(items), "id": msg_id}, status_code=202)


async def _decode_in_slices(batch: BatchParts) -> list[ReportIn]:
    """Decode a large batch a slice at a time, letting other requests in between, so one
    client's 10,000 reports (or a body that only looks like them) do not stall the others."""
    items: list[ReportIn] = []
    for start in range(0, len(batch), _SLICE):
        if start:
            await asyncio.sleep(0)
        items.extend(batch.decode(start, start + _SLICE))
        batch.check()
    return items
