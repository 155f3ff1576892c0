"""POST /api/v1/reports and /api/v1/reports/batch: people saying "I have a problem"."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from rasd.api.auth import bearer
from rasd.api.body import client_address, read_body
from rasd.api.idempotency import message_id
from rasd.api.responses import JSON
from rasd.errors import InvalidInput
from rasd.ingest.reports import decode_batch, decode_one
from rasd.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["reports"])

SINGLE_BODY_LIMIT = 64 * 1024

_REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["service", "problem", "reporter"],
    "additionalProperties": False,
    "properties": {
        "service": {"type": "string", "description": "Service id from the catalog."},
        "problem": {"type": "string", "description": "One of the service's problem types."},
        "reporter": {"type": "string", "description": "A key that stays the same for one person."},
        "country": {"type": "string", "description": "ISO 3166 alpha-2 country code."},
        "city": {"type": "string", "description": "City name (needs country)."},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lon": {"type": "number", "minimum": -180, "maximum": 180},
        "ts": {"type": "string", "format": "date-time", "description": "Import token only."},
        "ip": {"type": "string", "description": "Client address; import token only."},
    },
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


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


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
    rt = _runtime(request)
    client = client_address(request, rt.settings.trusted_proxies)
    rt.limiter.take(client)
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
    rt = _runtime(request)
    client = client_address(request, rt.settings.trusted_proxies)
    rt.limiter.take(client)
    body = await read_body(request, rt.settings.body_max_bytes)
    items = decode_batch(body, request.headers.get("content-type", ""), rt.settings.batch_max)
    if not items:
        raise InvalidInput("the batch is empty", details=[{"field": "$", "reason": "empty"}])
    trusted = rt.auth.allows(bearer(request), "import")
    cols = rt.validator.to_columns(items, client_ip=client, trusted=trusted)
    msg_id = message_id(request.headers.get("idempotency-key"), "reports")
    await rt.log.publish("reports", cols, msg_id)
    return JSON({"accepted": len(items), "id": msg_id}, status_code=202)
