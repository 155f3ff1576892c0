"""The official word in the API and on the service page, in both languages."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from web.test_pages import _incident

from rasd.clock import VirtualClock, minute_of
from rasd.runtime import Runtime
from rasd.signals.official import board_of
from rasd.signals.status import Reading, Update
from rasd.web.i18n import number

LINK = "https://status.devhub.example/"


def _quiet_page(rt: Runtime, clock: VirtualClock) -> None:
    board = board_of(rt)
    board.heard("github", LINK, "statuspage", Reading(indicator=0).view((), clock.now()),
                clock.now())  # fmt: skip


def test_the_page_says_all_operational_while_people_say_otherwise(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    _quiet_page(runtime, clock)
    clock.advance(timedelta(seconds=40))
    calm = client.get("/api/v1/services/github/official").json()
    assert calm["word"]["state"] == "operational" and calm["word"]["checked_seconds_ago"] == 40
    assert calm["disagrees"] is False and calm["status_kind"] == "statuspage"

    _incident(runtime, "github", 2, minute_of(clock.now()) - 10)
    body = client.get("/api/v1/services/github/official").json()
    assert body["disagrees"] is True
    page = client.get("/services/github?lang=en").text
    assert "The official page says all operational (checked 40 s ago)." in page
    assert "People and Rasd&#39;s checks say otherwise." in page
    arabic = client.get("/services/github?lang=ar").text
    forty = number(40, "ar")
    assert f"تقول الصفحة الرسمية إن كل شيء يعمل (فُحصت قبل {forty} ث)." in arabic


def test_updates_are_on_the_timeline_with_their_link(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    board = board_of(runtime)
    at = clock.now() - timedelta(minutes=5)
    said = Update("i1", "u1", "identified", "Actions delayed", "We found <it>", at,
                  url="https://stspg.example/x")  # fmt: skip
    board.record("github", LINK, [said])
    body = client.get("/api/v1/services/github/official").json()
    assert body["updates"][0]["text"] == "We found <it>"
    page = client.get("/services/github?lang=en").text
    assert "Cause identified: Actions delayed — We found &lt;it&gt;" in page
    assert 'href="https://stspg.example/x"' in page
    assert "تم تحديد السبب: Actions delayed" in client.get("/services/github?lang=ar").text


def test_grades_and_an_unknown_event(client: TestClient, runtime: Runtime) -> None:
    grades = client.get("/api/v1/official/grades").json()
    assert grades["days"] == 90
    owners = {g["owner"] for g in grades["providers"]}
    assert runtime.catalog.get("github").owner in owners
    missing = client.get("/api/v1/events/nope/acknowledgement")
    assert missing.status_code == 404 and missing.json()["error"]["code"]


def test_the_service_page_gives_the_providers_record(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    start = clock.now() - timedelta(days=3)
    ms = int(start.timestamp() * 1000)
    data = {
        "id": "event-gh",
        "state": "resolved",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "primary": ["github"],
        "spillover": [],
    }
    runtime.store.upsert_events(
        [
            {
                "id": "event-gh",
                "kind": "outage",
                "state": "resolved",
                "start_ms": ms,
                "end_ms": ms + 3_600_000,
                "updated_ms": ms,
                "data": data,
            }
        ]
    )
    page = client.get("/services/github?lang=en").text
    owner = runtime.catalog.owner_name(runtime.catalog.get("github").owner, "en")
    assert f"Over 90 days, {owner} acknowledged none of the outages Rasd saw (1)." in page
    arabic = client.get("/services/github?lang=ar").text
    assert "خلال ٩٠ يومًا لم تعترف" in arabic
