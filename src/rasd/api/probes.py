"""The probe agents' routes (their check list, the results they push) and what the server
makes of them (each vantage point's state, each service's evidence).

`GET /api/v1/probes/checks` gives every check of the catalog (with `?region=CC`, only those of
services used in that country). `POST /api/v1/probes/batch` takes a `ProbeBatch`; the batch id
is the message id, so a batch the agent sends again (it did not hear the answer) counts once.
A plain JSON array of results is taken too (replays over HTTP send those, with an
Idempotency-Key). Results for services the catalog does not know (an agent with an old check
list) are left out and counted as `ignored`, so they do not cost the rest of the batch.

`GET /api/v1/probes/vantages` lists the vantage points heard from, each `online` or `offline`
(its canaries failed too: its results count for nothing); `GET /api/v1/probes/evidence` gives
what they say about each service now (failing, healthy and offline vantages, the quorum).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import msgspec
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from rasd.api.idempotency import message_id
from rasd.api.posts import require_pusher
from rasd.api.shapes import errors, from_struct
from rasd.clock import minute_of
from rasd.errors import InvalidInput, MalformedBody, NotFound, field_error
from rasd.http.body import read_body
from rasd.http.process import require, runtime_of
from rasd.http.responses import JSON
from rasd.runtime import Runtime
from rasd.signals.probes import (
    KINDS,
    MAX_BATCH_RESULTS,
    OUTCOMES,
    ProbeBatch,
    ProbeCheck,
    ProbeCheckList,
    ProbeResult,
    ProbeState,
    catalog_services,
    checks_for_catalog,
    decode_batch,
    encode,
)

router = APIRouter(prefix="/api/v1", tags=["probes"])

_MAX_ID = 200
_MAX_DETAILS = 50
_results_decoder = msgspec.json.Decoder(list[ProbeResult])

# the check list as `ProbeCheckList` encodes it
_CHECK_LIST_SCHEMA: dict[str, Any] = from_struct(
    ProbeCheckList,
    {
        "checks": {
            "items": from_struct(
                ProbeCheck,
                {
                    "kind": {"enum": list(KINDS)},
                    "target": {"description": "dns: a name; http: a URL; tcp: host:port"},
                    "resolver": {
                        "description": "ip[:port]; null: the agent's own; `authoritative`: the "
                        "zone's"
                    },
                },
            )
        }
    },
)
# a result as `ProbeResult` decodes it and `decode_batch` checks it
_RESULT_SCHEMA: dict[str, Any] = from_struct(
    ProbeResult,
    {
        "service": {"minLength": 1},
        "kind": {"enum": list(KINDS)},
        "ts": {"format": "date-time", "description": "With a time zone."},
        "outcome": {"enum": list(OUTCOMES)},
        "vantage_offline": {
            "description": "The vantage's canaries failed too: its own link was down."
        },
    },
)
# a batch as `ProbeBatch` decodes it and `decode_batch` checks it
_BATCH_SCHEMA: dict[str, Any] = from_struct(
    ProbeBatch,
    {
        "id": {
            "minLength": 1,
            "maxLength": _MAX_ID,
            "description": "Printable; sent again with a batch the agent re-sends.",
        },
        "vantage": {"pattern": "^[^@]", "description": "Every result's vantage too."},
        "results": {"items": _RESULT_SCHEMA, "maxItems": MAX_BATCH_RESULTS},
        "dropped": {"minimum": 0},
    },
)


@cache
def _countries() -> frozenset[str]:
    import pycountry

    return frozenset(str(country.alpha_2) for country in pycountry.countries)


def services_for_region(catalog: Any, region: str | None) -> list[Any]:
    """A vantage point named after a country (`EG`, `eg`, `EG/Cairo`) probes the services used
    there and the worldwide ones; any other name (`eu-west`) probes them all."""
    services = catalog_services(catalog)
    if region is None:
        return services
    country = region.split("/", 1)[0].upper()
    if country not in _countries():
        return services
    return [s for s in services if not s.countries or country in s.countries]


@router.get(
    "/probes/checks",
    summary="The checks probe agents run; needs an ingest token",
    responses={
        200: {
            "description": "The check list.",
            "content": {"application/json": {"schema": _CHECK_LIST_SCHEMA}},
        },
        **errors(401, 403, 422),
    },
)
async def get_checks(
    request: Request,
    region: str | None = Query(
        None,
        min_length=1,
        max_length=64,
        # printable ASCII, no '@' first: one class that every regex dialect reads alike
        pattern=r"^[!-?A-~][!-~]*$",
        description="The agent's vantage point; a country code keeps the services used there.",
    ),
) -> Response:
    rt = runtime_of(request)
    require(request, "ingest")
    checks = checks_for_catalog(services_for_region(rt.catalog, region))
    return Response(encode(ProbeCheckList(checks=checks)), media_type="application/json")


@router.post(
    "/probes/batch",
    status_code=202,
    summary="Push probe results (a ProbeBatch); needs an ingest token",
    responses=errors(400, 401, 403, 413, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            _BATCH_SCHEMA,
                            {"type": "array", "items": _RESULT_SCHEMA},
                        ]
                    }
                }
            },
        },
        "responses": {
            "202": {
                "description": "Accepted and durable.",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "accepted": {"type": "integer"},
                                "ignored": {"type": "integer"},
                                "id": {"type": "string"},
                            },
                        }
                    }
                },
            }
        },
    },
)
async def post_batch(request: Request) -> JSON:
    rt = runtime_of(request)
    require_pusher(rt, request)
    body = await read_body(request, rt.settings.body_max_bytes)
    if body.lstrip()[:1] == b"[":
        results = _decode_result_list(body)
        msg_id = message_id(request.headers.get("idempotency-key"), "probes")
    else:
        batch = decode_batch(body)
        _check_batch_id(batch)
        results = batch.results
        msg_id = f"probes:{batch.vantage}:{batch.id}"
    _check_times(results, rt)
    known = [r for r in results if r.service in rt.catalog]
    if known:
        await rt.log.publish("probes", known, msg_id)
    return JSON(
        {"accepted": len(known), "ignored": len(results) - len(known), "id": msg_id},
        status_code=202,
    )


def _probe_state(rt: Runtime) -> ProbeState | None:
    """The recent results of this process; a cluster's API processes count none themselves."""
    return rt.probe_state


@router.get(
    "/probes/vantages",
    summary="The vantage points heard from, and whether each is online",
)
async def get_vantages(request: Request) -> JSON:
    state = _probe_state(runtime_of(request))
    items = [v.to_dict() for v in state.vantages()] if state is not None else []
    return JSON({"count": len(items), "vantages": items})


@router.get(
    "/probes/evidence",
    summary="What the vantage points say about each service now",
    responses=errors(404, 422),
)
async def get_evidence(
    request: Request,
    service: str | None = Query(None, min_length=1, max_length=100),
) -> JSON:
    rt = runtime_of(request)
    if service is not None and service not in rt.catalog:
        raise NotFound(
            f"no service is named {service!r}", details=[field_error("service", "unknown")]
        )
    state = _probe_state(rt)
    minute = minute_of(rt.clock.now())
    names = [] if state is None else [service] if service is not None else state.services()
    items = [state.evidence(name, minute).to_dict() for name in names] if state else []
    return JSON({"minute": minute, "count": len(items), "services": items})


def _check_batch_id(batch: ProbeBatch) -> None:
    if not 1 <= len(batch.id) <= _MAX_ID or not batch.id.isprintable():
        raise InvalidInput(
            "the batch id must have 1 to 200 printable characters",
            details=[field_error("id", "bad length or characters")],
        )


def _decode_result_list(body: bytes) -> list[ProbeResult]:
    """A JSON array of results, checked as agents' batches are, one batch per vantage point;
    errors name each result by its index in the array."""
    try:
        results = _results_decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            "the results do not match their schema", details=[field_error("$", str(exc))]
        ) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody("the body is not JSON", details=[field_error("$", str(exc))]) from exc
    by_vantage: dict[str, list[int]] = defaultdict(list)
    for index, result in enumerate(results):
        by_vantage[result.vantage].append(index)
    checked: list[ProbeResult | None] = [None] * len(results)
    problems: list[dict[str, Any]] = []
    for vantage, indices in by_vantage.items():
        group = ProbeBatch(id="list", vantage=vantage, results=[results[i] for i in indices])
        try:
            taken = decode_batch(encode(group))
        except InvalidInput as exc:
            problems.extend(_renumbered(exc.details, indices))
            continue
        for i, result in zip(indices, taken.results, strict=True):
            checked[i] = result
    if problems:
        raise InvalidInput("the results have invalid fields", details=problems[:_MAX_DETAILS])
    return [r for r in checked if r is not None]


def _renumbered(details: Any, indices: list[int]) -> list[dict[str, Any]]:
    """A group's errors ("results[2].kind") named by the index in the whole array."""
    out = []
    for detail in details if isinstance(details, list) else [details]:
        entry = dict(detail)
        name = str(entry.get("field") or "")
        if name.startswith("results[") and "]" in name:
            position, _, rest = name.removeprefix("results[").partition("]")
            index = indices[int(position)]
            entry["field"] = rest.lstrip(".") or "$"
            entry["index"] = index
            entry["path"] = f"$[{index}]{rest}"
        elif name == "vantage":
            entry.update(field="vantage", index=indices[0], path=f"$[{indices[0]}].vantage")
        out.append(entry)
    return out


def _check_times(results: list[ProbeResult], rt: Runtime) -> None:
    """Results from a clock far off would land in minutes that are not theirs."""
    now = rt.clock.now()
    latest = now + timedelta(seconds=rt.settings.future_skew_seconds)
    earliest = now - timedelta(days=rt.settings.import_max_age_days)
    problems = [
        field_error(
            f"results[{i}].ts", "outside the times the server takes", value=_iso(r.ts), index=i
        )
        for i, r in enumerate(results)
        if not earliest <= r.ts <= latest
    ]
    if problems:
        raise InvalidInput(
            f"{len(problems)} result(s) have a time the server does not take (is the clock off?)",
            details=problems[:_MAX_DETAILS],
        )


def _iso(ts: datetime) -> str:
    return ts.isoformat()
