"""schemathesis against /openapi.json, in process: no 5xx, and every answer as documented."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from conftest import T0
from hypothesis import HealthCheck, settings
from schemathesis import checks

from rasd.assembly import build_runtime
from rasd.clock import VirtualClock
from rasd.settings import Settings
from rasd.shell.app import create_app

# what the API promises: no server error, and every answer's status, type, headers and body
# as documented; whether a semantically wrong input (an unknown service) is refused is the
# other tests' business
_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_ctx: object, value: object) -> bytes:
    # the batch routes document NDJSON as one string: the lines as they are
    return value.encode() if isinstance(value, str) else b""


# built once at collection: schemathesis reads the document to make one test per operation
_runtime = build_runtime(
    Settings(store_url="sqlite:///:memory:", requests_per_second=1e6, request_burst=10**9),
    clock=VirtualClock(T0),
)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_runtime))


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_documented_promises(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=_CHECKS)
