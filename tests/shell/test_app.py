"""The shell: one app around both sets of routers, with their shared middleware."""

from __future__ import annotations

from fastapi.testclient import TestClient

from rasd import __version__


def test_the_app_answers_for_the_api_and_the_pages(client: TestClient) -> None:
    health = client.get("/api/v1/health")
    assert health.json() == {"status": "ok", "version": __version__}
    assert client.get("/api/v1/services").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert client.get("/openapi.json").json()["info"]["title"] == "Rasd"


def test_the_shared_middleware_covers_both_sets(client: TestClient) -> None:
    # security headers on an API answer and on a page alike
    for path in ("/api/v1/health", "/"):
        assert client.get(path).headers["x-content-type-options"] == "nosniff", path
    # a cross-site write is refused before any router sees it
    refused = client.post("/api/v1/reports", json={}, headers={"origin": "https://x.example"})
    assert refused.status_code == 403
