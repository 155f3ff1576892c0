"""Instatus, Google's incidents.json, Slack's status API, RSS/Atom and the plain check."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rasd.catalog import default_catalog
from rasd.catalog.model import STATUS_KINDS
from rasd.signals.status import (
    DEGRADED,
    MAJOR,
    OPERATIONAL,
    PARTIAL,
    ParseError,
)
from rasd.sources.status.formats import FORMATS
from sources.status.http_standin import page

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)


def test_every_kind_the_catalog_allows_has_a_format() -> None:
    assert set(FORMATS) == set(STATUS_KINDS)
    for service in default_catalog():
        if service.status_url:
            assert service.status_kind in FORMATS


def test_instatus_page_status_incidents_and_maintenance() -> None:
    fmt = FORMATS["instatus"]
    reading = fmt.parse(page("instatus-summary.json"), "https://status.example-cloud.test/")
    view = reading.view((), NOW)
    assert view.severity == MAJOR  # the incident's impact is worse than HASISSUES
    assert [u.status for u in reading.updates] == ["investigating"]
    assert reading.maintenances[0].in_progress
    quiet = fmt.parse(page("instatus-summary-quiet.json"), "https://status.example-cloud.test/")
    assert quiet.view((), NOW).severity == OPERATIONAL and quiet.incidents == []


def test_google_open_incidents_by_product() -> None:
    fmt = FORMATS["google"]
    link = "https://status.example/appsstatus/dashboard/"
    reading = fmt.parse(page("google-incidents.json"), link)
    assert reading.view(("Gmail",), NOW).severity == PARTIAL
    # Drive's incident has ended: all well for it
    assert reading.view(("Google Drive",), NOW).severity is None
    assert reading.view((), NOW).severity == PARTIAL
    gmail = [u for u in reading.updates if u.components == ("Gmail",)]
    assert len(gmail) == 2 and gmail[0].url == link + "incidents/gx4Kq2sbNL9bdUZ3ssTt"
    with pytest.raises(ParseError):
        fmt.parse(b'{"incidents": []}', link)


def test_slack_active_incident_notes_and_local_offsets() -> None:
    fmt = FORMATS["slack"]
    reading = fmt.parse(page("slack-current.json"), "https://status.example/")
    assert reading.view(("Messaging",), NOW).severity == PARTIAL
    assert reading.view(("Calls",), NOW).severity is None
    notes = sorted(reading.updates, key=lambda u: u.at)
    assert notes[0].at == datetime(2026, 11, 30, 8, 5, 12, tzinfo=UTC)
    assert notes[0].body == "Some users can't send messages. We\u2019re on it."
    assert len({u.key for u in notes}) == 2
    ok = fmt.parse(page("slack-current-ok.json"), "https://status.example/")
    assert ok.view((), NOW).severity == OPERATIONAL
    feed = "https://status.example/api/v2.0.0/current"
    assert fmt.history(fmt.main("https://status.example/", feed)) == (
        "https://status.example/api/v2.0.0/history"
    )


def test_a_feed_with_entities_and_scripts_gives_clean_words() -> None:
    fmt = FORMATS["feed"]
    reading = fmt.parse(page("feed-entities.xml"), "https://status.example-health.test/rss")
    assert reading.indicator is None
    first, second = reading.updates
    assert first.title == "Service disruption: EC2 & EBS in us-east-1"
    assert "alert" not in first.body and "<" not in first.body
    assert first.body == "We are investigating increased error rates & latencies."
    assert first.status == "update" and second.status == "resolved"
    assert second.title == "Informational message: <resolved>"
    assert first.at == datetime(2026, 11, 30, 9, 41, tzinfo=UTC)
    with pytest.raises(ParseError):
        fmt.parse(b"\x00\x01 not xml at all", "https://x.test/")


def test_plain_page_says_nothing_about_the_service() -> None:
    reading = FORMATS["http"].parse(b"<html>Status</html>", "https://status.example/")
    assert reading.view((), NOW).severity is None and reading.answered
    assert DEGRADED < PARTIAL < MAJOR
