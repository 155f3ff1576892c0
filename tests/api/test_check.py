"""POST /api/v1/check through the app: the answer, its limits, and every refusal in one shape."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from probe.local_http import free_loopback_address, serving_in_a_thread
from tests_support import assert_error_shape

from rasd.assembly import build_runtime
from rasd.clock import VirtualClock
from rasd.settings import Settings
from rasd.shell.app import create_app


@pytest.fixture
def host() -> str:
    return free_loopback_address()


def _client(clock: VirtualClock, **settings: Any) -> Iterator[TestClient]:
    runtime = build_runtime(Settings(store_url="sqlite:///:memory:", **settings), clock=clock)
    with TestClient(create_app(runtime)) as client:
        yield client
    runtime.store.close()


@pytest.fixture
def open_client(clock: VirtualClock, host: str) -> Iterator[TestClient]:
    yield from _client(
        clock, offline=False, check_now_allow_networks=[f"{host}/32"], check_now_per_minute=3
    )


def test_a_check_answers_beside_nothing_for_an_address_not_in_the_catalog(
    open_client: TestClient, host: str
) -> None:
    with serving_in_a_thread(host, 80) as behaviour:
        response = open_client.post("/api/v1/check", json={"target": f"http://{host}/"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "up" and body["https"]["status"] == 200
    assert body["service"] is None and body["target"] == f"http://{host}/"
    assert behaviour.hits == 1


def test_refusals_and_bad_bodies_have_the_one_error_shape(
    open_client: TestClient,
) -> None:
    for payload, status in (
        ({"target": "http://10.0.0.1/"}, 422),
        ({"target": ""}, 422),
        ({"target": "x" * 301}, 422),
        ({"target": 5}, 422),
        ({"nothing": 1}, 422),
        ({"target": "a.example", "more": 1}, 422),
        # neither a service nor a web address as the document's pattern has it
        ({"target": "hello world"}, 422),
        ({"target": "ftp://a.example/"}, 422),
        ({"target": "https://user@a.example/"}, 422),
        ({"target": "a.example:8080"}, 422),
        ({"target": "http://a.example:443/"}, 422),
        ({"target": "\ta.example"}, 422),
    ):
        response = open_client.post("/api/v1/check", json=payload)
        assert response.status_code == status, (payload, response.text)
        assert_error_shape(response.json())
    response = open_client.post(
        "/api/v1/check", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert_error_shape(response.json())


def test_each_network_may_ask_a_few_times_a_minute(open_client: TestClient) -> None:
    statuses = [
        open_client.post("/api/v1/check", json={"target": "http://10.0.0.1/"}).status_code
        for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    limited = open_client.post("/api/v1/check", json={"target": "http://10.0.0.1/"})
    assert limited.headers["retry-after"]
    assert_error_shape(limited.json())


def test_offline_a_service_is_not_checked_and_the_server_says_why(clock: VirtualClock) -> None:
    for client in _client(clock, offline=True):
        response = client.post("/api/v1/check", json={"target": "WhatsApp"})
        assert response.status_code == 200
        body = response.json()
        assert body["verdict"] == "not_checked" and body["https"]["detail"] == "offline"
        assert body["service"]["id"] == "whatsapp" and body["service"]["crowd"]["status"] == "ok"


def test_what_the_document_promises_is_taken(clock: VirtualClock) -> None:
    for client in _client(clock, offline=True):
        schema = client.get("/openapi.json").json()["paths"]["/api/v1/check"]["post"]
        target = schema["requestBody"]["content"]["application/json"]["schema"]["properties"]
        names, address = target["target"]["anyOf"]
        assert {"whatsapp", "WhatsApp"} <= set(names["enum"])
        # a name too long for DNS is asked all the same (offline: not checked); a service
        # by an Arabic name; spaces around; an address with its usual port and a path
        long_name = ".".join(["a" * 63] * 4) + ".example"
        for asked in (long_name, "واتساب", " whatsapp ", "HTTP://a.example:80/x?y=1"):
            if asked not in names["enum"]:
                assert re.fullmatch(address["pattern"], asked), asked
            response = client.post("/api/v1/check", json={"target": asked})
            assert response.status_code == 200, (asked, response.text)


def test_it_can_be_turned_off(clock: VirtualClock) -> None:
    for client in _client(clock, check_now_enabled=False):
        response = client.post("/api/v1/check", json={"target": "whatsapp"})
        assert response.status_code == 404
        assert_error_shape(response.json())
