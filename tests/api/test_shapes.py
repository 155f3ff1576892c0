"""Request bodies in the document come from the structs that decode them."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from fastapi.testclient import TestClient

from rasd.api.check import CheckRequest
from rasd.api.shapes import from_struct
from rasd.ingest.reports import ReportIn
from rasd.runtime import Runtime
from rasd.signals.posts import Post
from rasd.signals.probes import ProbeBatch, ProbeResult


class _Inner(msgspec.Struct):
    name: str


class _Outer(msgspec.Struct, forbid_unknown_fields=True):
    inner: _Inner
    many: list[_Inner]
    note: str | None = None


def test_a_struct_inside_is_written_out_and_fields_are_refined() -> None:
    schema = from_struct(_Outer, {"note": {"maxLength": 5}})
    assert "$ref" not in repr(schema) and "$defs" not in schema
    inner = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    assert schema["properties"]["inner"] == inner
    assert schema["properties"]["many"] == {"type": "array", "items": inner}
    assert schema["properties"]["note"] == {
        "anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]
    }
    assert schema["required"] == ["inner", "many"]
    assert schema["additionalProperties"] is False
    with pytest.raises(KeyError):
        from_struct(_Outer, {"nothing": {}})


def _fields(struct: type[msgspec.Struct]) -> tuple[set[str], set[str]]:
    names = {f.encode_name for f in msgspec.structs.fields(struct)}
    required = {f.encode_name for f in msgspec.structs.fields(struct) if f.required}
    return names, required


def _body(doc: dict[str, Any], path: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["paths"][path]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    return schema


@pytest.mark.parametrize(
    ("path", "struct", "find"),
    [
        ("/api/v1/reports", ReportIn, lambda s: s),
        ("/api/v1/reports/batch", ReportIn, lambda s: s["items"]),
        ("/api/v1/check", CheckRequest, lambda s: s),
        ("/api/v1/posts/batch", Post, lambda s: s["items"]),
        ("/api/v1/probes/batch", ProbeBatch, lambda s: s["oneOf"][0]),
        ("/api/v1/probes/batch", ProbeResult, lambda s: s["oneOf"][1]["items"]),
        (
            "/api/v1/probes/batch",
            ProbeResult,
            lambda s: s["oneOf"][0]["properties"]["results"]["items"],
        ),
    ],
)
def test_each_decoded_body_is_documented_by_its_struct(
    client: TestClient, path: str, struct: type[msgspec.Struct], find: Any
) -> None:
    schema = find(_body(client.get("/openapi.json").json(), path))
    names, required = _fields(struct)
    assert set(schema["properties"]) == names
    assert set(schema.get("required", ())) == required
    forbids = struct.__struct_config__.forbid_unknown_fields
    assert (schema.get("additionalProperties") is False) == forbids


def test_a_posts_batch_is_documented_within_the_settings(
    client: TestClient, runtime: Runtime
) -> None:
    schema = _body(client.get("/openapi.json").json(), "/api/v1/posts/batch")
    assert schema["minItems"] == 1
    assert schema["maxItems"] == runtime.settings.batch_max
