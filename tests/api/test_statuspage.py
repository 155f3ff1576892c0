"""The /api/v2 answers read back against Statuspage's published shapes and value sets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conftest import T0
from fastapi.testclient import TestClient
from notify.samples import incident, store_incident

from rasd.clock import VirtualClock
from rasd.runtime import Runtime

# From Statuspage's public API documentation (v2).
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
IMPACTS = {"none", "minor", "major", "critical"}
PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
UPDATE_KEYS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
}


def _check_component(c: dict[str, Any]) -> None:
    assert set(c) == COMPONENT_KEYS
    assert c["status"] in COMPONENT_STATUSES


def _check_incident(i: dict[str, Any]) -> None:
    assert set(i) == INCIDENT_KEYS
    assert i["status"] in INCIDENT_STATUSES and i["impact"] in IMPACTS
    assert i["incident_updates"], "an incident has at least its first update"
    for u in i["incident_updates"]:
        assert set(u) == UPDATE_KEYS and u["status"] in INCIDENT_STATUSES
        assert u["incident_id"] == i["id"]
        for a in u["affected_components"]:
            assert {a["old_status"], a["new_status"]} <= COMPONENT_STATUSES
    for c in i["components"]:
        _check_component(c)


def _seed(runtime: Runtime) -> None:
    store_incident(runtime.store, incident("facebook", T0, level=2, grade="critical"))
    store_incident(runtime.store, incident("instagram", T0, level=1, grade="minor"))
    store_incident(runtime.store, incident("twitter", T0, state="resolved", level=2))


def test_summary_is_statuspage_shaped(client: TestClient, runtime: Runtime) -> None:
    _seed(runtime)
    body = client.get("/api/v2/summary.json").json()
    assert set(body) == {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert set(body["page"]) == PAGE_KEYS
    assert body["status"]["indicator"] == "critical"
    assert body["status"]["description"]
    by_id = {c["id"]: c for c in body["components"]}
    for c in body["components"]:
        _check_component(c)
    assert len(by_id) == len(runtime.catalog)
    assert by_id["facebook"]["status"] == "major_outage"
    assert by_id["instagram"]["status"] == "degraded_performance"
    assert by_id["twitter"]["status"] == "operational"
    assert {i["id"] for i in body["incidents"]} == {"facebook-1", "instagram-1"}
    for i in body["incidents"]:
        _check_incident(i)


def test_no_incident_means_all_operational(client: TestClient) -> None:
    body = client.get("/api/v2/status.json").json()
    assert body["status"] == {"indicator": "none", "description": "All Systems Operational"}
    components = client.get("/api/v2/components.json").json()["components"]
    assert {c["status"] for c in components} == {"operational"}


def test_incidents_and_unresolved(client: TestClient, runtime: Runtime) -> None:
    _seed(runtime)
    every = client.get("/api/v2/incidents.json").json()["incidents"]
    assert len(every) == 3
    for i in every:
        _check_incident(i)
    resolved = next(i for i in every if i["id"] == "twitter-1")
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert resolved["incident_updates"][0]["status"] == "resolved"  # newest first
    unresolved = client.get("/api/v2/incidents/unresolved.json").json()["incidents"]
    assert {i["status"] for i in unresolved} <= INCIDENT_STATUSES - {"resolved", "postmortem"}
    paged = client.get("/api/v2/incidents.json?limit=1&offset=1").json()["incidents"]
    assert [i["id"] for i in paged] == [every[1]["id"]]


def test_official_statements_become_incident_updates(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    _seed(runtime)
    clock.advance(timedelta(minutes=40))
    token, _ = runtime.tokens.create("statements:facebook", "Meta SRE")
    said = client.post(
        "/api/v1/services/facebook/statements",
        json={"status": "identified", "message": {"en": "A BGP change.", "ar": "تغيير في BGP."}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert said.status_code == 201, said.text
    (fb,) = [
        i
        for i in client.get("/api/v2/incidents/unresolved.json").json()["incidents"]
        if i["id"] == "facebook-1"
    ]
    assert fb["status"] == "identified"
    assert fb["incident_updates"][0]["body"] == "A BGP change."
    arabic = client.get("/api/v2/incidents/unresolved.json?lang=ar").json()["incidents"]
    assert any(u["body"] == "تغيير في BGP." for i in arabic for u in i["incident_updates"])
