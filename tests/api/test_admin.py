from __future__ import annotations

from conftest import T0
from fastapi.testclient import TestClient
from notify.samples import incident, store_incident
from tests_support import assert_error_shape

from rasd.runtime import Runtime


def _bearer(runtime: Runtime, scope: str) -> dict[str, str]:
    token, _ = runtime.tokens.create(scope, f"{scope} tests")
    return {"Authorization": f"Bearer {token}"}


def test_subscriptions_need_an_admin_and_valid_input(client: TestClient, runtime: Runtime) -> None:
    good = {"channel": "webhook", "url": "https://hooks.example.org/rasd", "service": "facebook"}
    assert_error_shape(client.post("/api/v1/subscriptions", json=good).json())
    assert client.post("/api/v1/subscriptions", json=good).status_code == 401
    ingest = _bearer(runtime, "ingest")
    assert client.post("/api/v1/subscriptions", json=good, headers=ingest).status_code == 403
    admin = _bearer(runtime, "admin")
    bad = [
        {**good, "url": "ftp://x"},
        {**good, "channel": "apprise", "url": "notaurl://"},
        {**good, "service": "nope"},
        {**good, "owner": "meta"},
        {**good, "min_level": "everything"},
        {**good, "extra": 1},
        {"channel": "webhook", "url": "https://x.example", "country": "Egypt"},
    ]
    for body in bad:
        response = client.post("/api/v1/subscriptions", json=body, headers=admin)
        assert response.status_code in (404, 422), (body, response.text)
        assert_error_shape(response.json())
    assert client.get("/api/v1/subscriptions", headers=admin).json()["total"] == 0


def test_subscriptions_are_listed_by_page_masked_and_ended(
    client: TestClient, runtime: Runtime
) -> None:
    admin = _bearer(runtime, "admin")
    ids = []
    for n in range(5):
        body = {"channel": "apprise", "url": f"tgram://123456789:AAsecret{n}/-100{n}", "lang": "ar"}
        made = client.post("/api/v1/subscriptions", json=body, headers=admin)
        assert made.status_code == 201, made.text
        assert made.json()["secret"] is None
        ids.append(made.json()["subscription"]["id"])
    every = client.get("/api/v1/subscriptions", headers=admin).json()["subscriptions"]
    assert sorted(s["id"] for s in every) == sorted(ids)
    page = client.get("/api/v1/subscriptions?limit=2&offset=2", headers=admin).json()
    assert [s["id"] for s in page["subscriptions"]] == [s["id"] for s in every[2:4]]
    assert page["total"] == 5 and page["next_offset"] == 4
    assert all("secret" not in s["target"] for s in page["subscriptions"])
    one = client.get(f"/api/v1/subscriptions/{ids[0]}", headers=admin).json()
    assert one["scope"] == {"kind": "all", "value": None} and one["lang"] == "ar"
    ended = client.delete(f"/api/v1/subscriptions/{ids[0]}", headers=admin)
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert client.get("/api/v1/subscriptions", headers=admin).json()["total"] == 4
    assert client.get("/api/v1/subscriptions/nope", headers=admin).status_code == 404


def test_statements_take_the_service_scope_and_join_the_open_incident(
    client: TestClient, runtime: Runtime
) -> None:
    store_incident(runtime.store, incident("facebook", T0, level=2))
    body = {"status": "investigating", "message": {"en": "We are looking into it."}}
    route = "/api/v1/services/facebook/statements"
    other = _bearer(runtime, "statements:instagram")
    assert client.post(route, json=body, headers=other).status_code == 403
    operator = _bearer(runtime, "statements:facebook")
    made = client.post(route, json=body, headers=operator)
    assert made.status_code == 201, made.text
    statement = made.json()["statement"]
    assert (
        statement["incident"] == "facebook-1" and statement["author"] == "statements:facebook tests"
    )
    bad = [
        {"status": "fixed", "message": {"en": "x"}},
        {"status": "resolved", "message": {}},
        {"status": "resolved", "message": {"en": "x"}, "incident": "facebook-99"},
    ]
    for wrong in bad:
        response = client.post(route, json=wrong, headers=operator)
        assert response.status_code in (404, 422), response.text
        assert_error_shape(response.json())
    listed = client.get(route).json()
    assert listed["total"] == 1 and listed["statements"][0]["message"] == {
        "en": "We are looking into it."
    }
    timeline = client.get("/api/v1/incidents/facebook-1/statements").json()
    assert [s["id"] for s in timeline["statements"]] == [statement["id"]]
    assert client.get("/api/v1/services/nope/statements").status_code == 404


def test_dead_letters_are_for_admins(client: TestClient, runtime: Runtime) -> None:
    assert client.get("/api/v1/admin/deliveries").status_code == 401
    admin = _bearer(runtime, "admin")
    assert client.get("/api/v1/admin/deliveries?status=dead", headers=admin).json()["total"] == 0
    assert client.get("/api/v1/admin/deliveries?status=lost", headers=admin).status_code == 422
    assert client.post("/api/v1/admin/deliveries/7/replay", headers=admin).status_code == 404
