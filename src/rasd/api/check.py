"""POST /api/v1/check: "check it now", a service or web address checked at once from here.

The answer stands beside the crowd's: what this server sees (DNS, HTTPS, TLS) and, for a
service in the catalog, what people report. Each network may ask a few times a minute and only
a few checks run at once, so the box cannot be turned into a load generator.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import msgspec
from fastapi import APIRouter, Request

from rasd.api.body import client_address, read_body
from rasd.api.responses import JSON
from rasd.api.services import open_incidents, status_of
from rasd.api.shapes import errors
from rasd.catalog import Catalog, Service
from rasd.catalog.folding import fold
from rasd.errors import InvalidInput, NotFound, RateLimited
from rasd.ingest.limits import RequestLimiter
from rasd.ingest.reports import network_of
from rasd.probe.agent import tls_context
from rasd.probe.spot import SpotChecker, target_url
from rasd.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["probes"])

_STATE_KEY = "check_now"
_AT_ONCE = 8


class CheckRequest(msgspec.Struct, forbid_unknown_fields=True):
    target: str


class _State:
    def __init__(self, rt: Runtime) -> None:
        settings = rt.settings
        self.checker = SpotChecker(
            tls=tls_context(settings.prober_ca_file or None),
            timeout=settings.check_now_timeout_seconds,
            allow_networks=settings.check_now_allow_networks,
            offline=settings.offline,
        )
        per_minute = settings.check_now_per_minute
        self.limiter = RequestLimiter(rt.clock, rate=per_minute / 60.0, burst=per_minute)
        self.running = asyncio.Semaphore(_AT_ONCE)


def _state(rt: Runtime) -> _State:
    state = rt.extras.get(_STATE_KEY)
    if state is None:
        state = rt.extras[_STATE_KEY] = _State(rt)
    assert isinstance(state, _State)
    return state


def service_named(catalog: Catalog, target: str) -> Service | None:
    """The service a target names exactly (id, a name or an alias), or whose domain it is."""
    key = fold(target)
    for service in catalog.find(target, limit=5):
        names = {service.id, *service.name.values(), *service.all_aliases}
        if key in {fold(n) for n in names}:
            return service
    if "." not in target:
        return None
    try:
        host = (urlsplit(target_url(target)).hostname or "").rstrip(".").lower()
    except InvalidInput:
        return None
    for service in catalog:
        if any(host == d or host.endswith("." + d) for d in service.domains):
            return service
    return None


@router.post(
    "/check",
    summary="Check a service or web address now from this server (DNS, HTTPS, TLS)",
    responses=errors(400, 404, 413, 422, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["target"],
                        "additionalProperties": False,
                        "properties": {
                            "target": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 300,
                                "description": "A catalog service (id or name) or a web address",
                            }
                        },
                    }
                }
            },
        }
    },
)
async def check_now(request: Request) -> JSON:
    rt: Runtime = request.app.state.runtime
    if not rt.settings.check_now_enabled:
        raise NotFound("check it now is turned off on this server")
    body = await read_body(request, 4096)
    try:
        asked = msgspec.json.decode(body, type=CheckRequest)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            f"the body is {{\"target\": ...}}: {exc}",
            details=[{"field": "target", "reason": "required"}],
        ) from None
    except msgspec.DecodeError:
        raise InvalidInput(
            "the body is not JSON", details=[{"field": "$", "reason": "json"}]
        ) from None
    target = asked.target.strip()
    if not 1 <= len(target) <= 300:
        raise InvalidInput(
            "type a service or a web address (up to 300 characters)",
            details=[{"field": "target", "reason": "length"}],
        )
    state = _state(rt)
    state.limiter.take(network_of(client_address(request, rt.settings.trusted_proxies)))
    service = service_named(rt.catalog, target)
    address = f"https://{service.domains[0]}/" if service and "." not in target else target
    if state.running.locked():
        raise RateLimited("this server is busy checking; try again in a moment", retry_after=2)
    async with state.running:
        result = await state.checker.check(address)
    answer: dict[str, Any] = {"target": target, "checked_at": rt.clock.now().isoformat()}
    answer.update(result.to_dict())
    answer["service"] = None
    if service is not None:
        crowd = status_of(open_incidents(rt).get(service.id))
        answer["service"] = {"id": service.id, "name": dict(service.name), "crowd": crowd}
    return JSON(answer)
