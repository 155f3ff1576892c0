"""Shapes the OpenAPI document promises: the one error body, and what every route may answer.

FastAPI documents a 422 with its own `{"detail": [...]}` body, which Rasd never sends; the
document is rewritten once so every declared error answer is `{"error": {...}}`, and so tools
that read it (client generators, schemathesis) see what the server really says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_input"])
    message: str
    details: list[dict[str, Any]] | dict[str, Any]


class ErrorBody(BaseModel):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that may answer with these error statuses."""
    return {
        status: {"model": ErrorBody, "description": _WHY.get(status, "error")}
        for status in statuses
    }


def from_struct(
    struct: type[msgspec.Struct], refine: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The JSON schema of the struct a route decodes its body with, each named field refined
    with what the route checks beyond its type (a field of None or a value: the value's part).
    The fields, their types, which are required and that no other is taken, come from the
    struct itself, so the document cannot drift from the decoder. A struct inside it is
    written out in place (refine its field with the inner struct's own `from_struct`)."""
    generated = msgspec.json.schema(struct)
    defs: dict[str, Any] = generated["$defs"]
    schema: dict[str, Any] = _inlined(generated, defs)
    properties = schema["properties"]
    for field, extra in (refine or {}).items():
        if field not in properties:
            raise KeyError(f"{struct.__name__} has no field {field!r}")
        branches = properties[field].get("anyOf")
        if branches is None:
            properties[field] = {**properties[field], **extra}
            continue
        value, null = [b for b in branches if b != {"type": "null"}], [{"type": "null"}]
        assert len(value) == 1, f"{field}: one type or None"
        properties[field] = {"anyOf": [{**value[0], **extra}, *null]}
    return schema


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with every `{"$ref": "#/$defs/Name"}` replaced by that struct's schema."""
    if isinstance(node, list):
        return [_inlined(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = {k: v for k, v in defs[ref.rsplit("/", 1)[-1]].items() if k != "title"}
        return _inlined(target, defs)
    return {key: _inlined(value, defs) for key, value in node.items() if key != "$defs"}


# OpenAPI links: where an answer's ids lead (tools that follow them, schemathesis' stateful
# phase among them, go from a list to its items with ids that exist)
_SERVICE = "$response.body#/services/0/id"
LINKS: dict[tuple[str, str], list[tuple[str, str, dict[str, str]]]] = {
    ("/api/v1/services", "get"): [
        (path, method, {"service_id": _SERVICE})
        for path, method in (
            ("/api/v1/services/{service_id}", "get"),
            ("/api/v1/services/{service_id}/networks", "get"),
            ("/api/v1/services/{service_id}/series", "get"),
            ("/api/v1/services/{service_id}/series.csv", "get"),
            ("/api/v1/services/{service_id}/comments", "get"),
            ("/api/v1/services/{service_id}/comments", "post"),
            ("/api/v1/services/{service_id}/official", "get"),
            ("/api/v1/services/{service_id}/statements", "get"),
            ("/badges/{service_id}.svg", "get"),
            ("/feeds/services/{service_id}.atom", "get"),
        )
    ],
    ("/api/v1/incidents", "get"): [
        (path, "get", {"incident_id": "$response.body#/incidents/0/id"})
        for path in (
            "/api/v1/incidents/{incident_id}",
            "/api/v1/incidents/{incident_id}/statements",
        )
    ],
    ("/api/v1/events", "get"): [
        (path, "get", {"event_id": "$response.body#/events/0/id"})
        for path in ("/api/v1/events/{event_id}", "/api/v1/events/{event_id}/acknowledgement")
    ],
    ("/api/v1/sources", "get"): [
        ("/api/v1/sources/{name}", "get", {"name": "$response.body#/items/0/name"})
    ],
}


def links(doc: dict[str, Any], _rt: Any) -> None:
    """LINKS into the document, on each source's 200 answer, by the targets' operation ids."""
    paths = doc["paths"]
    for (path, method), targets in LINKS.items():
        answer = paths[path][method]["responses"]["200"]
        found = answer.setdefault("links", {})
        for target, target_method, parameters in targets:
            operation = paths[target][target_method]["operationId"]
            found[operation] = {"operationId": operation, "parameters": parameters}


_WHY = {
    400: "the request is malformed",
    401: "no bearer token",
    403: "the token does not allow this",
    404: "no such thing",
    409: "conflicts with what exists",
    422: "invalid parameters or body",
    429: "too many requests",
    503: "not available now",
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_HTML = {"text/html": {"schema": {"type": "string"}}}
# what is not a web page: the APIs and the machine-readable routes
_NOT_PAGES = ("/api/", "/feeds/", "/badges/", "/metrics", "/openapi.json")


# a route's part of the document that only the process knows (its catalog, say): a function
# that completes the document in place, given the process the app serves
Finisher = Callable[[dict[str, Any], Any], None]


def install(app: FastAPI, finishers: Sequence[Finisher] = ()) -> None:
    """Serve an OpenAPI document whose errors all have Rasd's error shape, completed by each
    route's finisher with what the process knows."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        schemas["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for extra, schema in schemas["ErrorBody"].pop("$defs", {}).items():
            schemas.setdefault(extra, schema)
        for path, path_item in doc.get("paths", {}).items():
            for operation in path_item.values():
                if not isinstance(operation, dict):
                    continue
                answers = operation.setdefault("responses", {})
                if not path.startswith(_NOT_PAGES) or _answers_html(answers):
                    # a web page answers in HTML; its errors are pages too, except bad query
                    # parameters, which the one error renderer answers in JSON
                    for status, answer in answers.items():
                        answer["content"] = dict(_HTML)
                        if status.startswith(("4", "5")):
                            answer["content"]["application/json"] = {"schema": _ERROR_REF}
                    answers.setdefault(
                        "default",
                        {
                            "description": "An error page, or an error in Rasd's one shape",
                            "content": {**_HTML, "application/json": {"schema": _ERROR_REF}},
                        },
                    )
                    continue
                for status, answer in answers.items():
                    if status.startswith(("4", "5")):
                        answer["content"] = {"application/json": {"schema": _ERROR_REF}}
                # any other error (a limit, a body too large, a store that is down) has the
                # same one shape: say so once, rather than guess every status on every route
                answers.setdefault(
                    "default",
                    {
                        "description": "An error, in Rasd's one error shape",
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
        for finish in finishers:
            finish(doc, app.state.runtime)
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]


def _answers_html(answers: dict[str, Any]) -> bool:
    # a page under /api/ too: the one a confirmation link opens
    return "text/html" in answers.get("200", {}).get("content", {})
