from fastapi.testclient import TestClient

REPORT = {"service": "facebook", "problem": "login", "reporter": "someone", "country": "EG"}


def test_reports_from_other_sites_are_refused(client: TestClient) -> None:
    for headers in (
        {"origin": "https://elsewhere.example"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": "http://testserver"},
        {"origin": "null"},
    ):
        response = client.post("/api/v1/reports", json=REPORT, headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["error"]["code"] == "forbidden"


def test_reports_from_this_site_and_from_clients_are_taken(client: TestClient) -> None:
    for headers in (
        {},
        {"origin": "http://testserver", "sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "none"},
    ):
        response = client.post("/api/v1/reports", json=REPORT, headers=headers)
        assert response.status_code == 202, (headers, response.text)


def test_pages_carry_a_content_security_policy(client: TestClient) -> None:
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
