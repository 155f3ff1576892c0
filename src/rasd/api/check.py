"""POST /api/v1/check: "check it now", a service or web address checked at once from here.

The answer stands beside the crowd's: what this server sees (DNS, HTTPS, TLS) and, for a
service in the catalog, what people report. Each network may ask a few times a minute and only
a few checks run at once, so the box cannot be turned into a load generator.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlsplit

import msgspec
from fastapi import APIRouter, Request

from rasd.api.services import incident_status
from rasd.api.shapes import errors, from_struct
from rasd.catalog import Catalog, Service
from rasd.catalog.folding import fold
from rasd.errors import InvalidInput, NotFound, RateLimited
from rasd.http.body import client_address, read_body
from rasd.http.process import runtime_of
from rasd.http.responses import JSON
from rasd.ingest.reports import network_of
from rasd.probe.agent import tls_context
from rasd.probe.spot import SpotChecker, target_url
from rasd.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["probes"])

_AT_ONCE = 8


class CheckRequest(msgspec.Struct, forbid_unknown_fields=True):
    target: str


# a web address as the box takes it: http(s) or none, a DNS name (ASCII; an IDN as its xn--
# form) or an IPv4 address, the usual port or none, then any printable path; spaces around
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = rf"(?:{_LABEL}\.)*{_LABEL}\.?"
WEB_ADDRESS = (
    rf" *(?:[Hh][Tt][Tt][Pp]://{_HOST}(?::80)?|(?:[Hh][Tt][Tt][Pp][Ss]://)?{_HOST}(?::443)?)"
    r"(?:[/?#][!-~]*)? *"
)
_WEB_ADDRESS = re.compile(WEB_ADDRESS)
_TARGET_MAX = 300


def target_names(catalog: Catalog) -> list[str]:
    """Every way the box takes a service by name: its id, names and aliases, as written."""
    names: dict[str, None] = {}
    for service in catalog:
        for name in (service.id, *service.name.values(), *service.all_aliases):
            if 1 <= len(name) <= _TARGET_MAX:
                names[name] = None
    return list(names)


def document(doc: dict[str, Any], rt: Runtime) -> None:
    """The target as the route checks it: a service by any of its names, or a web address."""
    body = doc["paths"]["/api/v1/check"]["post"]["requestBody"]["content"]["application/json"]
    target = {
        "description": "A catalog service (id, name or alias) or a web address",
        "anyOf": [
            {"enum": target_names(rt.catalog)},
            {"maxLength": _TARGET_MAX, "pattern": f"^{WEB_ADDRESS}$"},
        ],
    }
    body["schema"] = from_struct(CheckRequest, {"target": target})


class CheckNow:
    """What checks run with: the TLS context costs to make, so it is made on the first check."""

    def __init__(self, rt: Runtime) -> None:
        settings = rt.settings
        self.checker = SpotChecker(
            tls=tls_context(settings.prober_ca_file or None),
            timeout=settings.check_now_timeout_seconds,
            allow_networks=settings.check_now_allow_networks,
            offline=settings.offline,
        )
        self.running = asyncio.Semaphore(_AT_ONCE)


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
                # from CheckRequest, completed from the catalog: document() above
                "application/json": {"schema": {"type": "object"}}
            },
        }
    },
)
async def check_now(request: Request) -> JSON:
    rt = runtime_of(request)
    if not rt.settings.check_now_enabled:
        raise NotFound("check it now is turned off on this server")
    body = await read_body(request, 4096)
    try:
        asked = msgspec.json.decode(body, type=CheckRequest)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            f'the body is {{"target": ...}}: {exc}',
            details=[{"field": "target", "reason": "required"}],
        ) from None
    except msgspec.DecodeError:
        raise InvalidInput(
            "the body is not JSON", details=[{"field": "$", "reason": "json"}]
        ) from None
    target = asked.target.strip(" ")
    service = service_named(rt.catalog, target) if target else None
    if service is None and not (
        len(asked.target) <= _TARGET_MAX and _WEB_ADDRESS.fullmatch(asked.target)
    ):
        raise InvalidInput(
            "type a service or a web address (up to 300 characters)",
            details=[{"field": "target", "reason": "not a service or a web address"}],
        )
    rt.limiters.checks.take(network_of(client_address(request, rt.settings.trusted_proxies)))
    state = rt.check_now.get(lambda: CheckNow(rt))
    address = f"https://{service.domains[0]}/" if service and "." not in target else target
    if state.running.locked():
        raise RateLimited("this server is busy checking; try again in a moment", retry_after=2)
    async with state.running:
        result = await state.checker.check(address)
    answer: dict[str, Any] = {"target": target, "checked_at": rt.clock.now().isoformat()}
    answer.update(result.to_dict())
    answer["service"] = None
    if service is not None:
        crowd = incident_status(rt.store.open_incidents(service.id).get(service.id))
        answer["service"] = {"id": service.id, "name": dict(service.name), "crowd": crowd}
    return JSON(answer)
