from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from conftest import IMPORT_TOKEN, T0
from fastapi.testclient import TestClient
from tests_support import assert_error_shape

from rasd.clock import VirtualClock, minute_of
from rasd.runtime import Runtime
from rasd.series import REPORTS, WORLD, SeriesKey

GOOD = {"service": "facebook", "problem": "login", "reporter": "r1", "country": "US"}


def _reports(runtime: Runtime, region: str = WORLD) -> int:
    m = minute_of(T0)
    return runtime.store.total(SeriesKey("facebook", REPORTS, region), m - 60, m + 60)


def test_one_report_is_accepted_counted_and_placed(client: TestClient, runtime: Runtime) -> None:
    report = {**GOOD, "city": "Washington"}
    response = client.post("/api/v1/reports", json=report)
    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    assert _reports(runtime) == 1
    assert _reports(runtime, "US") == 1
    assert _reports(runtime, "US/Washington") == 1
    assert runtime.store.count_reports() == 1


def test_a_city_not_known_counts_in_its_country(client: TestClient, runtime: Runtime) -> None:
    response = client.post("/api/v1/reports", json={**GOOD, "city": "Atlantis"})
    assert response.status_code == 202, response.text
    assert _reports(runtime) == 1
    assert _reports(runtime, "US") == 1
    assert runtime.store.count_reports() == 1


def test_coordinates_are_mapped_to_the_nearest_city(client: TestClient, runtime: Runtime) -> None:
    report = {"service": "facebook", "problem": "app", "reporter": "geo", "lat": 48.86, "lon": 2.35}
    assert client.post("/api/v1/reports", json=report).status_code == 202
    m = minute_of(T0)
    assert runtime.store.total(SeriesKey("facebook", REPORTS, "FR"), m - 1, m + 1) == 1
    assert runtime.store.total(SeriesKey("facebook", REPORTS, "FR/Paris"), m - 1, m + 1) == 1


def test_a_reporter_counts_once_per_service_per_fifteen_minutes(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    for _ in range(3):
        assert client.post("/api/v1/reports", json=GOOD).status_code == 202
    assert _reports(runtime) == 1
    # another service counts
    other = {**GOOD, "service": "instagram", "problem": "app"}
    assert client.post("/api/v1/reports", json=other).status_code == 202
    clock.advance(timedelta(minutes=14))
    client.post("/api/v1/reports", json=GOOD)
    assert _reports(runtime) == 1
    clock.advance(timedelta(minutes=2))
    client.post("/api/v1/reports", json=GOOD)
    assert _reports(runtime) == 2
    # every report is kept raw, counted or not
    assert runtime.store.count_reports() == 6


def test_one_network_cannot_make_an_outage(client: TestClient, runtime: Runtime) -> None:
    batch = [{**GOOD, "reporter": f"bot-{i}"} for i in range(500)]
    assert client.post("/api/v1/reports/batch", json=batch).status_code == 202
    limit = runtime.settings.network_limit
    assert _reports(runtime) == limit
    assert runtime.store.count_reports() == 500


def test_batch_as_ndjson(client: TestClient, runtime: Runtime) -> None:
    lines = b"\n".join(
        orjson.dumps({**GOOD, "reporter": f"p{i}", "ip": f"203.0.{i}.7"}) for i in range(50)
    )
    response = client.post(
        "/api/v1/reports/batch",
        content=lines,
        headers={"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {IMPORT_TOKEN}"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 50
    assert _reports(runtime) == 50


def test_imports_carry_their_own_time(client: TestClient, runtime: Runtime) -> None:
    past = (T0 - timedelta(minutes=30)).isoformat()
    headers = {"Authorization": f"Bearer {IMPORT_TOKEN}"}
    response = client.post("/api/v1/reports", json={**GOOD, "ts": past}, headers=headers)
    assert response.status_code == 202
    m = minute_of(T0) - 30
    assert runtime.store.total(SeriesKey("facebook", REPORTS, WORLD), m, m + 1) == 1


def test_idempotency_key_makes_a_resubmission_count_once(
    client: TestClient, runtime: Runtime
) -> None:
    batch = [{**GOOD, "reporter": f"k{i}", "ip": f"198.51.{i}.1"} for i in range(10)]
    headers = {"Idempotency-Key": "batch-1", "Authorization": f"Bearer {IMPORT_TOKEN}"}
    for _ in range(2):
        assert client.post("/api/v1/reports/batch", json=batch, headers=headers).status_code == 202
    assert runtime.store.count_reports() == 10


def _bad_cases() -> list[tuple[str, str, Any, dict[str, str], int, str | None]]:
    token = {"Authorization": f"Bearer {IMPORT_TOKEN}"}
    future = (T0 + timedelta(hours=2)).isoformat()
    ancient = "1999-01-01T00:00:00+00:00"
    return [
        ("unknown service", "/api/v1/reports", {**GOOD, "service": "nope"}, {}, 422, "service"),
        ("unknown problem", "/api/v1/reports", {**GOOD, "problem": "teleport"}, {}, 422, "problem"),
        ("no such country", "/api/v1/reports", {**GOOD, "country": "XX"}, {}, 422, "country"),
        (
            "no place",
            "/api/v1/reports",
            {k: v for k, v in GOOD.items() if k != "country"},
            {},
            422,
            "country",
        ),
        (
            "latitude off the globe",
            "/api/v1/reports",
            {**GOOD, "country": None, "lat": 91.0, "lon": 0.0},
            {},
            422,
            "lat",
        ),
        (
            "longitude off the globe",
            "/api/v1/reports",
            {**GOOD, "lat": 10.0, "lon": 200.0},
            {},
            422,
            "lon",
        ),
        ("missing field", "/api/v1/reports", {"service": "facebook"}, {}, 422, "problem"),
        ("unknown field", "/api/v1/reports", {**GOOD, "colour": "red"}, {}, 422, "colour"),
        ("wrong type", "/api/v1/reports", {**GOOD, "service": 5}, {}, 422, "service"),
        (
            "own time without token",
            "/api/v1/reports",
            {**GOOD, "ts": T0.isoformat()},
            {},
            403,
            "ts",
        ),
        (
            "own address without token",
            "/api/v1/reports",
            {**GOOD, "ip": "192.0.2.1"},
            {},
            403,
            "ip",
        ),
        ("future time", "/api/v1/reports", {**GOOD, "ts": future}, token, 422, "ts"),
        ("ancient time", "/api/v1/reports", {**GOOD, "ts": ancient}, token, 422, "ts"),
        ("naive time", "/api/v1/reports", {**GOOD, "ts": "2021-10-04T11:00:00"}, token, 422, "ts"),
        ("bad ip", "/api/v1/reports", {**GOOD, "ip": "300.1.1.1"}, token, 422, "ip"),
        (
            "batch with one bad report",
            "/api/v1/reports/batch",
            [GOOD, {**GOOD, "service": "nope"}],
            {},
            422,
            "service",
        ),
        ("empty batch", "/api/v1/reports/batch", [], {}, 422, "$"),
        ("batch not a list", "/api/v1/reports/batch", GOOD, {}, 422, None),
    ]


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "field"),
    [case[1:] for case in _bad_cases()],
    ids=[case[0] for case in _bad_cases()],
)
def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient,
    runtime: Runtime,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if v is not None}
    response = client.post(
        path, content=orjson.dumps(body), headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code == status, response.text
    error = assert_error_shape(response.json())
    if field is not None:
        assert field in {d.get("field") for d in error["details"]}, error
    assert runtime.store.count_reports() == 0
    assert _reports(runtime) == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"ts": "2099-01-01T00:00:00+00:00"}, "the time is in the future"),
        ({"country": "EG", "lat": 30.0}, "latitude and longitude go together"),
        ({"service": "nope"}, "unknown service 'nope'"),
    ],
)
def test_a_refused_report_says_why_in_one_sentence(
    client: TestClient, body: dict[str, Any], reason: str
) -> None:
    headers = {"Authorization": f"Bearer {IMPORT_TOKEN}"}
    response = client.post("/api/v1/reports", json={**GOOD, **body}, headers=headers)
    assert response.status_code == 422
    error = assert_error_shape(response.json())
    assert error["message"] == f"the report was not stored: {reason}"
    assert error["details"][0]["reason"] == reason


def test_malformed_json(client: TestClient, runtime: Runtime) -> None:
    response = client.post(
        "/api/v1/reports", content=b'{"service": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert assert_error_shape(response.json())["code"] == "malformed_body"
    assert runtime.store.count_reports() == 0


def test_batch_over_the_limit(client: TestClient, runtime: Runtime) -> None:
    runtime.settings.batch_max = 5
    batch = [{**GOOD, "reporter": f"x{i}"} for i in range(6)]
    response = client.post("/api/v1/reports/batch", json=batch)
    assert response.status_code == 422
    assert assert_error_shape(response.json())["details"][0]["limit"] == 5
    assert runtime.store.count_reports() == 0


def test_oversized_body(client: TestClient, runtime: Runtime) -> None:
    runtime.settings.body_max_bytes = 2048
    batch = [{**GOOD, "reporter": f"x{i}"} for i in range(100)]
    response = client.post("/api/v1/reports/batch", json=batch)
    assert response.status_code == 413
    assert assert_error_shape(response.json())["code"] == "body_too_large"
    assert runtime.store.count_reports() == 0


def test_a_report_batch_has_its_own_tighter_cap_and_the_connection_is_closed(
    client: TestClient, runtime: Runtime
) -> None:
    runtime.settings.report_batch_max_bytes = 2048
    batch = [{**GOOD, "reporter": f"x{i}"} for i in range(100)]
    response = client.post("/api/v1/reports/batch", json=batch)
    assert response.status_code == 413
    assert assert_error_shape(response.json())["details"][0]["limit_bytes"] == 2048
    # what is left of the body is never read
    assert response.headers["connection"] == "close"
    assert runtime.store.count_reports() == 0


def test_a_bad_report_late_in_a_long_batch_refuses_all_of_it(
    client: TestClient, runtime: Runtime
) -> None:
    batch: list[dict[str, Any]] = [{**GOOD, "reporter": f"x{i}"} for i in range(2500)]
    batch[2100] = {**GOOD, "reporter": 7}
    response = client.post("/api/v1/reports/batch", json=batch)
    assert response.status_code == 422
    detail = assert_error_shape(response.json())["details"][0]
    assert (detail["index"], detail["field"]) == (2100, "reporter")
    assert runtime.store.count_reports() == 0


def test_rate_limit_per_client(client: TestClient, runtime: Runtime) -> None:
    runtime.limiters.requests.burst = 3
    runtime.limiters.requests.rate = 0.01
    runtime.limiters.requests.forget_all()
    codes = [
        client.post("/api/v1/reports", json={**GOOD, "reporter": f"r{i}"}).status_code
        for i in range(5)
    ]
    assert codes[:3] == [202, 202, 202]
    assert codes[3:] == [429, 429]
    response = client.post("/api/v1/reports", json=GOOD)
    assert int(response.headers["Retry-After"]) >= 1
    assert_error_shape(response.json())


def test_network_of_ipv4_and_ipv6() -> None:
    from rasd.ingest.reports import network_of, valid_address

    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"
    assert network_of("testclient") == "testclient"
    for bad in ("256.1.1.1", "01.2.3.4", "1.2.3", "١.2.3.4", "a.b.c.d", ""):
        assert not valid_address(bad), bad


def test_store_away_answers_503_and_the_retry_counts(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    def failing(*args: Any, **kwargs: Any) -> bool:
        raise sqlite3.OperationalError("disk I/O error")

    # inside the store's transaction, where every way of writing reports meets it
    monkeypatch.setattr(runtime.store, "_write_reports", failing)
    response = client.post("/api/v1/reports", json=GOOD)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert assert_error_shape(response.json())["code"] == "unavailable"
    monkeypatch.undo()
    assert client.post("/api/v1/reports", json=GOOD).status_code == 202
    assert _reports(runtime) == 1
