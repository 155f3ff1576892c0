from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import IMPORT_TOKEN
from fastapi.testclient import TestClient
from tests_support import assert_error_shape, write_mmdb

from rasd.assembly import build_runtime
from rasd.clock import VirtualClock
from rasd.runtime import Runtime
from rasd.settings import Settings
from rasd.shell.app import create_app

REPORT = {"service": "whatsapp", "problem": "messages", "reporter": "r", "country": "EG"}


def test_list_and_find_services(client: TestClient) -> None:
    body = client.get("/api/v1/services").json()
    assert body["count"] >= 60
    ids = {s["id"] for s in body["services"]}
    assert {"facebook", "instagram", "whatsapp", "messenger"} <= ids
    found = client.get("/api/v1/services", params={"q": "واتس"}).json()["services"]
    assert found[0]["id"] == "whatsapp"
    arabic = client.get("/api/v1/services", params={"lang": "ar", "q": "whatsapp"}).json()
    assert arabic["services"][0]["name"] == "واتساب"
    telecoms = client.get("/api/v1/services", params={"country": "EG"}).json()["services"]
    assert any(s["id"] == "vodafone-eg" for s in telecoms)


def test_one_service_with_problems_and_counts(client: TestClient, clock: VirtualClock) -> None:
    for i in range(3):
        client.post("/api/v1/reports", json={**REPORT, "reporter": f"r{i}"})
    client.post("/api/v1/reports", json={**REPORT, "reporter": "x", "problem": "app"})
    clock.advance(timedelta(minutes=1))
    body = client.get("/api/v1/services/whatsapp").json()
    assert body["reports_24h"] == 4
    top = body["problems"][0]
    assert (top["id"], top["reports"], top["share"]) == ("messages", 3, 0.75)
    assert body["status"] == "ok"


def test_series_by_step_and_region(client: TestClient, clock: VirtualClock) -> None:
    for i in range(5):
        client.post("/api/v1/reports", json={**REPORT, "reporter": f"s{i}"})
        clock.advance(timedelta(minutes=1))
    since = (clock.now() - timedelta(minutes=10)).isoformat()
    body = client.get(
        "/api/v1/services/whatsapp/series", params={"since": since, "step": "5m"}
    ).json()
    assert body["step"] == 5
    assert sum(p["n"] for p in body["points"]) == 5
    egypt = client.get(
        "/api/v1/services/whatsapp/series", params={"since": since, "region": "EG"}
    ).json()
    assert sum(p["n"] for p in egypt["points"]) == 5
    germany = client.get(
        "/api/v1/services/whatsapp/series", params={"since": since, "region": "DE"}
    ).json()
    assert sum(p["n"] for p in germany["points"]) == 0


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/api/v1/services/nope", {}, 404, None),
        ("/api/v1/services/whatsapp/series", {"step": "7x"}, 422, "step"),
        ("/api/v1/services/whatsapp/series", {"step": "0"}, 422, "step"),
        ("/api/v1/services/whatsapp/series", {"since": "yesterday"}, 422, "since"),
        ("/api/v1/services/whatsapp/series", {"since": "2021-10-04T10:00:00"}, 422, "since"),
        ("/api/v1/services/whatsapp/series", {"step": "1441"}, 422, "step"),
        ("/api/v1/services/whatsapp/series", {"step": "25h"}, 422, "step"),
        ("/api/v1/services", {"lang": "xx"}, 422, "lang"),
        ("/api/v1/incidents", {"state": "bogus"}, 422, "state"),
        ("/api/v1/incidents", {"service": "nope"}, 404, None),
        ("/api/v1/incidents", {"limit": "0"}, 422, "limit"),
        ("/api/v1/events", {"state": "bogus"}, 422, "state"),
        ("/api/v1/incidents/nope-1", {}, 404, None),
    ],
)
def test_bad_queries_get_the_error_shape(
    client: TestClient, path: str, params: dict[str, str], status: int, field: str | None
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    error = assert_error_shape(response.json())
    if field is not None:
        assert field in {d.get("field") for d in error["details"]}


def test_a_window_that_ends_before_it_starts_is_empty_and_a_long_one_fits(
    client: TestClient,
) -> None:
    inverted = {"since": "2021-10-04T12:00:00Z", "until": "2021-10-04T11:00:00Z"}
    body = client.get("/api/v1/services/whatsapp/series", params=inverted).json()
    # since is taken at until: the one minute that holds it
    assert body["since"] == "2021-10-04T11:00:00+00:00"
    assert body["until"] == "2021-10-04T11:01:00+00:00"
    assert [p["t"] for p in body["points"]] == ["2021-10-04T11:00:00+00:00"]
    # ten years by the minute: the step grows until the points fit (at most 20,000)
    decade = {"since": "2011-10-04T00:00:00Z", "until": "2021-10-04T00:00:00Z", "step": "1"}
    body = client.get("/api/v1/services/whatsapp/series", params=decade).json()
    assert body["step"] == 264 and 19_900 < len(body["points"]) <= 20_000


def test_incidents_are_listed_and_filtered(client: TestClient, runtime: Runtime) -> None:
    runtime.store.upsert_incidents(
        [
            {
                "id": "whatsapp-20211004T1540Z",
                "service": "whatsapp",
                "state": "ongoing",
                "level": 2,
                "start_ms": 1633362000000,
                "end_ms": None,
                "updated_ms": 1633362600000,
                "event_id": None,
                "data": {
                    "id": "whatsapp-20211004T1540Z",
                    "service": "whatsapp",
                    "state": "ongoing",
                    "level": 2,
                },
            }
        ]
    )
    listed = client.get("/api/v1/incidents", params={"service": "whatsapp"}).json()
    assert [i["id"] for i in listed["incidents"]] == ["whatsapp-20211004T1540Z"]
    assert client.get("/api/v1/incidents", params={"state": "resolved"}).json()["count"] == 0
    one = client.get("/api/v1/incidents/whatsapp-20211004T1540Z").json()
    assert one["level"] == 2
    status = client.get("/api/v1/services/whatsapp").json()
    assert status["status"] == "problems_detected"


def test_series_marks_the_minutes_still_being_counted(
    client: TestClient, clock: VirtualClock
) -> None:
    client.post("/api/v1/reports", json={**REPORT, "reporter": "early"})
    clock.advance(timedelta(minutes=2))
    client.post("/api/v1/reports", json={**REPORT, "reporter": "now"})
    since = (clock.now() - timedelta(minutes=3)).isoformat()
    body = client.get("/api/v1/services/whatsapp/series", params={"since": since}).json()
    # with no detection in this process, only the current minute may still grow
    current = clock.now().replace(second=0, microsecond=0)
    assert body["complete_until"] == current.isoformat()
    points = body["points"]
    assert [p["complete"] for p in points] == [True] * (len(points) - 1) + [False]
    assert points[-1]["n"] == 1


def test_networks_of_a_service(tmp_path: Path, clock: VirtualClock) -> None:
    path = write_mmdb(
        tmp_path / "asn.mmdb",
        {
            "197.192.0.0/13": {
                "autonomous_system_number": 24835,
                "autonomous_system_organization": "Vodafone Egypt",
                "country": {"iso_code": "EG"},
            },
            "41.32.0.0/12": {
                "autonomous_system_number": 8452,
                "autonomous_system_organization": "TE Data",
                "country": {"iso_code": "EG"},
            },
        },
    )
    settings = Settings(
        store_url="sqlite:///:memory:",
        import_tokens=[IMPORT_TOKEN],
        requests_per_second=1000,
        request_burst=10_000,
        network_db=[path],
    )
    rt = build_runtime(settings, clock=clock)
    headers = {"Authorization": f"Bearer {IMPORT_TOKEN}"}
    with TestClient(create_app(rt)) as client:
        batch = [{**REPORT, "reporter": f"v{i}", "ip": f"197.199.{i}.9"} for i in range(3)]
        batch += [{**REPORT, "reporter": "t", "ip": "41.33.1.1"}]
        batch += [{**REPORT, "reporter": "g", "ip": "8.8.8.8"}]  # on no known network
        assert client.post("/api/v1/reports/batch", json=batch, headers=headers).status_code == 202
        one = {**REPORT, "service": "facebook", "problem": "app", "ip": "197.192.0.1"}
        assert client.post("/api/v1/reports", json=one, headers=headers).status_code == 202
        clock.advance(timedelta(minutes=1))
        body = client.get("/api/v1/services/whatsapp/networks", params={"lang": "ar"}).json()
        assert body["network_data"] is True
        assert body["total"] == 4
        top = body["networks"][0]
        assert (top["asn"], top["name"], top["title"], top["reports"], top["share"]) == (
            24835,
            "Vodafone Egypt",
            "Vodafone Egypt, AS24835",
            3,
            0.75,
        )
        assert top["country"] == "EG" and top["country_name"] == "مصر"
        assert [n["asn"] for n in body["networks"]] == [24835, 8452]
        facebook = client.get("/api/v1/services/facebook/networks").json()
        assert [(n["asn"], n["reports"]) for n in facebook["networks"]] == [(24835, 1)]
        page = client.get("/services/whatsapp").text
        assert "Vodafone Egypt" in page and "AS24835" in page
        # the addresses themselves are nowhere in what was stored
        stored = b"".join(batch.data for batch in rt.store.recent_batches(0))
        assert b"Vodafone Egypt" in stored
        assert b"197.199" not in stored and b"41.33" not in stored and b"8.8.8.8" not in stored
    rt.store.close()


def test_no_network_data_is_said(client: TestClient, clock: VirtualClock) -> None:
    client.post("/api/v1/reports", json=REPORT)
    clock.advance(timedelta(minutes=1))
    body = client.get("/api/v1/services/whatsapp/networks").json()
    assert body == {**body, "network_data": False, "total": 0, "networks": []}
    assert "No network data" in client.get("/services/whatsapp").text
    assert client.get("/api/v1/services/nope/networks").status_code == 404
