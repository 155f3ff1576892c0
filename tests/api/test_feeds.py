from __future__ import annotations

from datetime import timedelta

import feedparser
from conftest import T0
from fastapi.testclient import TestClient
from notify.samples import incident, store_incident

from rasd.clock import VirtualClock
from rasd.runtime import Runtime


def _seed(runtime: Runtime, clock: VirtualClock, client: TestClient) -> None:
    store_incident(runtime.store, incident("facebook", T0, level=2))
    store_incident(runtime.store, incident("twitter", T0, state="resolved", level=1, minutes=20))
    clock.advance(timedelta(hours=1))
    token, _ = runtime.tokens.create("admin")
    said = client.post(
        "/api/v1/services/facebook/statements",
        json={
            "status": "monitoring",
            "message": {"en": "Fix rolling out.", "ar": "يجري نشر الإصلاح."},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert said.status_code == 201


def test_the_global_feed_has_incidents_and_statements_newest_first(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    _seed(runtime, clock, client)
    response = client.get("/feeds/incidents.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    titles = [e.title for e in feed.entries]
    assert len(titles) == 3
    assert titles[0] == "Facebook, official update: monitoring a fix"
    assert "Facebook: problems detected" in titles and "X (Twitter): possible problems" in titles
    twitter = next(e for e in feed.entries if e.title.startswith("X (Twitter)"))
    assert "Back to normal" in twitter.summary
    assert all(e.link.startswith("http://testserver/services/") for e in feed.entries)


def test_a_service_feed_in_arabic(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    _seed(runtime, clock, client)
    feed = feedparser.parse(client.get("/feeds/services/facebook.atom?lang=ar").content)
    assert not feed.bozo
    assert feed.feed.language == "ar"
    assert len(feed.entries) == 2
    assert feed.entries[0].summary == "يجري نشر الإصلاح."
    assert "رُصدت مشكلات" in feed.entries[1].title
    assert client.get("/feeds/services/nope.atom").status_code == 404
