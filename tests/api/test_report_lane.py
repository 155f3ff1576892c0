"""The lane for single reports answers as the route does, and hands the rest to the route."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from conftest import IMPORT_TOKEN, T0
from fastapi.testclient import TestClient
from tests_support import assert_error_shape

from rasd.clock import minute_of
from rasd.runtime import Runtime
from rasd.series import SeriesKey
from rasd.shell.app import create_app
from rasd.shell.forwarded import served

REPORT = {"service": "whatsapp", "problem": "messages", "reporter": "lane-1", "country": "EG"}
_VARIABLE = {"date", "server", "content-length"}


def _world(runtime: Runtime) -> int:
    m = minute_of(T0)
    return runtime.store.total(SeriesKey("whatsapp", "reports", "*"), m - 60, m + 60)


def _route_calls(app: Any) -> list[str]:
    """Spy on the hand-over to the route: the paths it was given."""
    calls: list[str] = []
    route = app.lane.route

    async def spied(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope["path"])
        await route(scope, receive, send)

    app.lane.route = spied
    return calls


def test_the_lane_answers_as_the_route_does(client: TestClient, runtime: Runtime) -> None:
    handed_on = _route_calls(client.app)
    lane = client.post("/api/v1/reports", json=REPORT)
    assert handed_on == []
    # a token sends the request to the route
    route = client.post(
        "/api/v1/reports",
        json={**REPORT, "reporter": "lane-2"},
        headers={"Authorization": f"Bearer {IMPORT_TOKEN}"},
    )
    assert handed_on == ["/api/v1/reports"]
    assert lane.status_code == route.status_code == 202
    assert lane.json().keys() == route.json().keys() == {"accepted", "id"}
    assert set(lane.headers) - _VARIABLE == set(route.headers) - _VARIABLE
    for name in ("content-security-policy", "x-content-type-options", "content-type"):
        assert lane.headers[name] == route.headers[name]
    assert _world(runtime) == 2
    metrics = client.get("/metrics").text
    assert 'rasd_ingest_requests_total{route="reports",status="202"} 2.0' in metrics


def test_errors_come_from_the_route_in_the_one_shape(client: TestClient, runtime: Runtime) -> None:
    bad = client.post("/api/v1/reports", json={**REPORT, "service": "nope"})
    assert bad.status_code == 422
    assert_error_shape(bad.json())
    assert bad.json()["error"]["details"][0]["field"] == "service"
    assert _world(runtime) == 0
    metrics = client.get("/metrics").text
    assert 'rasd_ingest_requests_total{route="reports",status="422"} 1.0' in metrics


def test_browser_writes_still_meet_the_cross_site_guard(client: TestClient) -> None:
    refused = client.post(
        "/api/v1/reports", json=REPORT, headers={"Origin": "https://elsewhere.example"}
    )
    assert refused.status_code == 403
    assert_error_shape(refused.json())


def test_one_idempotency_key_counts_once(client: TestClient, runtime: Runtime) -> None:
    first = client.post("/api/v1/reports", json=REPORT, headers={"Idempotency-Key": "same"})
    again = client.post(
        "/api/v1/reports",
        json={**REPORT, "reporter": "someone-else"},
        headers={"Idempotency-Key": "same"},
    )
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"] == "reports:k:same"
    assert _world(runtime) == 1


def _call(app: Any, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> list[Any]:
    """Drive the ASGI app by hand: the body arrives in several pieces, as over a network."""
    sent: list[Any] = []
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)  # nothing more comes; the app must not wait for it
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/reports",
        "raw_path": b"/api/v1/reports",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("198.51.100.7", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    return sent


@pytest.mark.parametrize("pieces", [1, 3, 40])
def test_a_body_in_pieces_is_read_whole(runtime: Runtime, pieces: int) -> None:
    body = orjson.dumps({**REPORT, "reporter": f"pieces-{pieces}"})
    step = max(1, len(body) // pieces)
    chunks = [body[i : i + step] for i in range(0, len(body), step)]
    sent = _call(create_app(runtime), chunks, [(b"content-type", b"application/json")])
    assert sent[0]["status"] == 202
    assert orjson.loads(sent[1]["body"])["accepted"] == 1
    assert _world(runtime) == 1


def test_a_body_too_long_for_a_report_goes_to_the_route(runtime: Runtime) -> None:
    chunks = [b'{"service": "whatsapp", "padding": "', b"x" * 40_000, b"x" * 40_000, b'"}']
    sent = _call(create_app(runtime), chunks, [(b"content-type", b"application/json")])
    assert sent[0]["status"] == 413
    assert_error_shape(orjson.loads(sent[1]["body"]))
    assert runtime.store.count_reports() == 0


def test_a_report_from_behind_a_trusted_proxy_is_limited_by_its_client(
    runtime: Runtime,
) -> None:
    runtime.settings.trusted_proxies = ["198.51.100.7"]
    app = create_app(runtime)
    forwarded = [(b"x-forwarded-for", b"203.0.113.9, 198.51.100.7")]
    runtime.limiters.requests.burst = 1
    runtime.limiters.requests.rate = 0.001
    first = _call(app, [orjson.dumps(REPORT)], forwarded)
    second = _call(app, [orjson.dumps({**REPORT, "reporter": "x"})], forwarded)
    other = _call(
        app, [orjson.dumps({**REPORT, "reporter": "y"})], [(b"x-forwarded-for", b"203.0.113.10")]
    )
    assert [first[0]["status"], second[0]["status"], other[0]["status"]] == [202, 429, 202]
    assert_error_shape(orjson.loads(second[1]["body"]))


def test_a_failure_of_ours_is_answered_in_the_one_shape(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(kind: str, payload: Any, msg_id: str) -> None:
        raise RuntimeError("the log broke")

    monkeypatch.setattr(runtime.log, "publish", broken)
    answer = client.post("/api/v1/reports", json=REPORT)
    assert answer.status_code == 500
    assert_error_shape(answer.json())
    assert answer.json()["error"]["code"] == "internal"
    assert "broke" not in answer.text


def test_every_answer_of_the_lane_is_counted(client: TestClient) -> None:
    for i in range(3):
        answer = client.post("/api/v1/reports", json={**REPORT, "reporter": f"c{i}"})
        assert answer.status_code == 202
    metrics = client.get("/metrics").text
    assert 'rasd_ingest_requests_total{route="reports",status="202"} 3.0' in metrics


def test_in_front_of_the_proxy_middleware_it_names_the_client_as_uvicorn_does(
    runtime: Runtime,
) -> None:
    runtime.settings.trusted_proxies = ["198.51.100.7"]
    app = served(create_app(runtime), runtime.settings.trusted_proxies)
    runtime.limiters.requests.burst = 1
    runtime.limiters.requests.rate = 0.001
    first = _call(app, [orjson.dumps(REPORT)], [(b"x-forwarded-for", b"203.0.113.9")])
    # several addresses take the middleware's way, to the same client
    again = [(b"x-forwarded-for", b"203.0.113.9, 198.51.100.7")]
    second = _call(app, [orjson.dumps({**REPORT, "reporter": "x"})], again)
    other = _call(
        app, [orjson.dumps({**REPORT, "reporter": "y"})], [(b"x-forwarded-for", b"203.0.113.10")]
    )
    assert [first[0]["status"], second[0]["status"], other[0]["status"]] == [202, 429, 202]
    assert_error_shape(orjson.loads(second[1]["body"]))
    assert _world(runtime) == 2
