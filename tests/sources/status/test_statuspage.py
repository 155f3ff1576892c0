"""Statuspage and incident.io summaries and incident lists, in the shapes those pages serve."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rasd.signals.status import DEGRADED, MAINTENANCE, OPERATIONAL, PARTIAL, ParseError
from rasd.sources.status.statuspage import INCIDENT_IO, STATUSPAGE
from sources.status.http_standin import page

LINK = "https://status.devhub.example/"
NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)


def test_a_minor_incident_counts_while_the_indicator_reads_none() -> None:
    reading = STATUSPAGE.parse(page("statuspage-summary.json"), LINK)
    assert reading.indicator == OPERATIONAL
    assert [i.id for i in reading.incidents] == ["69sb0f8lydp4"]
    assert reading.view((), NOW).severity == DEGRADED
    assert reading.view((), NOW).state == "degraded"


def test_groups_and_the_pseudo_component_are_left_out() -> None:
    reading = STATUSPAGE.parse(page("statuspage-summary.json"), LINK)
    assert reading.components == {
        "Git Operations": OPERATIONAL,
        "Actions": DEGRADED,
        "Codespaces": MAINTENANCE,
    }


def test_a_service_made_of_components_hears_only_about_them() -> None:
    reading = STATUSPAGE.parse(page("statuspage-summary.json"), LINK)
    assert reading.view(("Git Operations",), NOW).severity == OPERATIONAL
    assert reading.view(("Actions",), NOW).severity == DEGRADED
    codespaces = reading.view(("Codespaces",), NOW)
    assert codespaces.maintenance == ("Codespaces database upgrade",)
    assert codespaces.state == MAINTENANCE
    # the maintenance names one component of three: the whole page is not under it
    assert reading.view((), NOW).maintenance == ()
    (work,) = reading.maintenances
    assert work.active(NOW) and not work.active(datetime(2026, 11, 30, 14, tzinfo=UTC))


def test_updates_keep_the_providers_words_without_markup() -> None:
    reading = STATUSPAGE.parse(page("statuspage-summary.json"), LINK)
    first = next(u for u in reading.updates if u.update == "9lpqk4965mzb")
    assert (
        first.body
        == "We are investigating reports of degraded performance for Actions\nMore soon & thanks"
    )
    assert first.url == "https://stspg.example/mc6sr407p78b"
    assert first.components == ("Actions",)
    assert first.at == datetime(2026, 11, 30, 10, 2, 2, 798000, tzinfo=UTC)
    # an update with no affected components takes the incident's
    second = next(u for u in reading.updates if u.update == "x1x2x3x4x5x6")
    assert second.components == ("Actions",)
    assert any(u.maintenance for u in reading.updates)


def test_the_history_holds_the_update_that_closed_it() -> None:
    updates = STATUSPAGE.parse_history(page("statuspage-incidents.json"), LINK)  # type: ignore[misc]
    assert {u.update for u in updates} == {"r3s0lv3d0001", "x1x2x3x4x5x6", "9lpqk4965mzb"}
    assert STATUSPAGE.history(STATUSPAGE.main(LINK, None)) == LINK + "api/v2/incidents.json"


def test_incident_io_nulls_and_missing_shortlinks() -> None:
    link = "https://status.chatbot.example/"
    reading = INCIDENT_IO.parse(page("incidentio-summary.json"), link)
    assert reading.view(("ChatGPT",), NOW).severity == PARTIAL
    assert reading.view(("API",), NOW).severity == PARTIAL  # the incident names no components
    assert reading.updates[0].url == link + "incidents/01JINCIDENT0001"
    quiet = INCIDENT_IO.parse(page("incidentio-summary-quiet.json"), link)
    assert quiet.incidents == [] and quiet.maintenances == []
    assert quiet.view(("ChatGPT",), NOW).severity == OPERATIONAL


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!DOCTYPE html><html><body>Status</body></html>", "HTML"),
        (b'{"status": {"indicator": "none"', "malformed JSON"),
        (b"[1, 2]", "expected an object"),
    ],
)
def test_what_is_not_a_summary_is_said_plainly(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        STATUSPAGE.parse(body, LINK)
