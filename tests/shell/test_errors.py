"""The shell's error handlers: the framework's refusals in the one error shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests_support import assert_error_shape


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error_shape(client.get("/api/v1/nothing-here").json())
    response = client.delete("/api/v1/services")
    assert response.status_code == 405
    assert assert_error_shape(response.json())["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        # each path has its methods declared as separate routes: Allow names them all
        ("/api/v1/subscriptions/abc", "DELETE, GET"),
        ("/api/v1/subscriptions", "GET, POST"),
        ("/api/v1/services/whatsapp/comments", "GET, POST"),
        ("/api/v1/unsubscribe", "GET, POST"),
    ],
)
def test_a_method_not_allowed_names_every_method_of_the_path(
    client: TestClient, path: str, allow: str
) -> None:
    response = client.options(path)
    assert response.status_code == 405
    assert assert_error_shape(response.json())["code"] == "method_not_allowed"
    assert response.headers["allow"] == allow
