from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from conftest import T0
from fastapi.testclient import TestClient
from notify.samples import incident, store_incident
from tests_support import assert_error_shape

from rasd.correlate.titles import log_line, outage_title
from rasd.phrase import Phrase
from rasd.runtime import Runtime
from rasd.series import REPORTS, WORLD, SeriesKey


def _event(number: int) -> dict[str, object]:
    start = int((T0 + timedelta(hours=number)).timestamp() * 1000)
    return {
        "id": f"event-{number}",
        "kind": "outage",
        "state": "resolved",
        "start_ms": start,
        "end_ms": start + 60_000,
        "updated_ms": start,
        "data": {"id": f"event-{number}", "state": "resolved"},
    }


def test_incidents_come_by_page_with_the_admin_lists_page_fields(
    client: TestClient, runtime: Runtime
) -> None:
    for n in range(5):
        start = T0 + timedelta(hours=n)
        store_incident(runtime.store, incident("facebook", start, number=n, state="resolved"))
    store_incident(runtime.store, incident("whatsapp", T0, number=1))
    seen = []
    offset: int | None = 0
    while offset is not None:
        page = client.get(
            "/api/v1/incidents", params={"service": "facebook", "limit": 2, "offset": offset}
        ).json()
        assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == offset
        assert page["count"] == len(page["incidents"]) <= 2
        seen += [i["id"] for i in page["incidents"]]
        offset = page["next_offset"]
    assert seen == [f"facebook-{n}" for n in (4, 3, 2, 1, 0)]
    every = client.get("/api/v1/incidents").json()
    assert every["total"] == 6 and every["next_offset"] is None and every["offset"] == 0
    beyond = client.get("/api/v1/incidents", params={"offset": 10}).json()
    assert beyond["incidents"] == [] and beyond["count"] == 0 and beyond["next_offset"] is None
    one = client.get("/api/v1/incidents/facebook-3")
    assert one.status_code == 200 and one.json()["id"] == "facebook-3"
    missing = client.get("/api/v1/incidents/facebook-7")
    assert missing.status_code == 404 and assert_error_shape(missing.json())["code"] == "not_found"


def test_events_come_by_page(client: TestClient, runtime: Runtime) -> None:
    runtime.store.upsert_events([_event(n) for n in range(3)])
    page = client.get("/api/v1/events", params={"limit": 2, "state": "resolved"}).json()
    assert [e["id"] for e in page["events"]] == ["event-2", "event-1"]
    assert (page["count"], page["total"], page["next_offset"]) == (2, 3, 2)
    rest = client.get("/api/v1/events", params={"limit": 2, "offset": 2}).json()
    assert [e["id"] for e in rest["events"]] == ["event-0"] and rest["next_offset"] is None
    assert client.get("/api/v1/events/event-1").json()["id"] == "event-1"
    assert client.get("/api/v1/events/event-9").status_code == 404


def test_bad_pages_are_refused_in_the_one_shape(client: TestClient) -> None:
    for route in ("/api/v1/incidents", "/api/v1/events"):
        for params in ({"offset": -1}, {"offset": "x"}, {"limit": 0}, {"limit": 1001}):
            response = client.get(route, params=params)
            assert response.status_code == 422, (route, params)
            error = assert_error_shape(response.json())
            assert error["details"][0]["field"] in params


def test_an_incident_and_an_event_say_their_impact(client: TestClient, runtime: Runtime) -> None:
    start = T0 - timedelta(hours=2)
    first = int(start.timestamp()) // 60
    key = SeriesKey("whatsapp", REPORTS, WORLD)
    runtime.store.add_counts({(key, first + i): 500 for i in range(30)})
    store_incident(runtime.store, incident("whatsapp", start, state="resolved", minutes=30))
    body = client.get("/api/v1/incidents/whatsapp-1").json()
    impact = body["impact"]
    assert impact["reports"] == 15_000 and impact["minutes"] == 30 and impact["countries"] == 2
    low, high = runtime.settings.impact_people_per_report_low, 15_000 * 260
    assert impact["people"] == {"low": round(15_000 * low), "high": high}
    assert impact["sentence"]["en"].endswith("could not use WhatsApp for 30 min.")
    assert "واتساب" in impact["sentence"]["ar"]
    data = {
        "id": "event-meta",
        "state": "resolved",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
        "primary": ["whatsapp"],
        "spillover": ["telegram"],
        "countries": ["US", "EG", "DE"],
    }
    ms = int(start.timestamp() * 1000)
    runtime.store.upsert_events(
        [
            {
                "id": "event-meta",
                "kind": "outage",
                "state": "resolved",
                "start_ms": ms,
                "end_ms": ms + 30 * 60_000,
                "updated_ms": ms,
                "data": data,
            }
        ]
    )
    event = client.get("/api/v1/events/event-meta").json()
    assert event["impact"]["countries"] == 3
    assert "in 3 countries could not use WhatsApp" in event["impact"]["sentence"]["en"]
    page = client.get("/events/event-meta", params={"lang": "ar"})
    assert event["impact"]["sentence"]["ar"] in page.text
    feed = client.get("/feeds/incidents.atom").text
    assert "could not use WhatsApp for 30 min." in feed


def _kept(runtime: Runtime, event_id: str, data: Mapping[str, object]) -> None:
    ms = int(T0.timestamp() * 1000)
    row = {"id": event_id, "kind": "outage", "state": "active", "start_ms": ms}
    runtime.store.upsert_events([{**row, "end_ms": None, "updated_ms": ms, "data": data}])


def test_an_event_kept_as_codes_is_said_in_the_fields_clients_read(
    client: TestClient, runtime: Runtime
) -> None:
    title = outage_title("meta", ["facebook", "whatsapp"], 5)
    cause_at = Phrase("at.owner", {"owner": "meta"})
    summary = Phrase("summary.vantages", {"outcome": "servfail", "failing": 5, "seen": 5})
    cause = Phrase("cause", {"code": "dns_owner", "at": cause_at, "summary": summary})
    data = {
        "id": "meta-1",
        "state": "active",
        "title": title.to_dict(),
        "primary": ["facebook", "whatsapp"],
        "log": [
            {
                "at": T0.isoformat(),
                "kind": "opened",
                "services": ["facebook", "whatsapp"],
                "text": log_line("opened", ["facebook", "whatsapp"]).to_dict(),
            }
        ],
        "cause_hints": [{"code": "dns_owner", "at": cause_at.to_dict(), "summary": None}],
        "cause": Phrase("causes", {"causes": (cause,)}).to_dict(),
    }
    _kept(runtime, "meta-1", data)
    event = client.get("/api/v1/events/meta-1").json()
    assert event["title"] == {"en": "Meta: Facebook, WhatsApp", "ar": "ميتا: فيسبوك، واتساب"}
    assert event["log"][0]["text"]["en"] == "Outage seen: Facebook, WhatsApp"
    assert event["cause_hints"][0]["at"] == {"en": "Meta", "ar": "ميتا"}
    assert event["cause"]["en"] == "DNS at Meta: SERVFAIL from 5 of 5 vantage points"
    listed = client.get("/api/v1/events", params={"lang": "ar"}).json()["events"]
    assert listed[0]["title"] == event["title"]  # the shape names en and ar: both are there
    refused = client.get("/api/v1/events/meta-1", params={"lang": "xx"})
    assert refused.status_code == 422 and assert_error_shape(refused.json())
    page = client.get("/events/meta-1", params={"lang": "ar"}).text
    assert "ميتا: فيسبوك، واتساب" in page and "DNS لدى ميتا" in page


def test_an_event_kept_in_words_by_an_older_version_reads_as_it_was(
    client: TestClient, runtime: Runtime
) -> None:
    words = {"en": "Meta: Facebook, Instagram", "ar": "ميتا: فيسبوك، إنستغرام"}
    line = {"at": T0.isoformat(), "kind": "resolved", "services": [], "text": {"en": "Resolved"}}
    data = {"id": "old-1", "state": "active", "title": words, "log": [line], "cause": None}
    _kept(runtime, "old-1", data)
    event = client.get("/api/v1/events/old-1").json()
    assert event["title"] == words
    # a language the row lacks is shown in English
    assert event["log"][0]["text"] == {"en": "Resolved", "ar": "Resolved"}
    assert event["cause"] is None and event["cause_hints"] == []


def test_an_incidents_reasons_are_said_from_their_codes(
    client: TestClient, runtime: Runtime
) -> None:
    row = incident("facebook", T0, number=8)
    reason = {"code": "official", "signal": "official", "observed": 3.0, "expected": 0.0}
    row["evidence"] = {"reasons": [{**reason, "score": 1.0}]}
    store_incident(runtime.store, row)
    said = client.get("/api/v1/incidents/facebook-8").json()["evidence"]["reasons"][0]
    assert said["text"]["en"] == "official status page: major outage"
    assert said["text"]["ar"] == "صفحة الحالة الرسمية: انقطاع كبير"
    kept = runtime.store.get_incident("facebook-8")
    assert kept is not None and "text" not in kept.data["evidence"]["reasons"][0]
