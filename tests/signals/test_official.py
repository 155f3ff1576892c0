"""The official signal: a page's word per service, its updates kept once, and what detection
does with them (the word as evidence, planned maintenance holding alarms down)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sources.status.http_standin import page

from rasd.catalog import default_catalog
from rasd.clock import VirtualClock, minute_of
from rasd.pipeline.engine import DetectionEngine
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.signals.official import OfficialBoard, hear_statements
from rasd.signals.status import MAJOR, Maintenance, Reading, Update
from rasd.sim import load_scenario
from rasd.sources.status.statuspage import STATUSPAGE
from rasd.store import Store

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)
LINK = "https://status.devhub.example/"


def _update(n: int, **kw: object) -> Update:
    base = {"incident": "inc", "update": f"u{n}", "status": "investigating", "title": "Down",
            "body": f"words {n}", "at": NOW + timedelta(minutes=n)}  # fmt: skip
    return Update(**{**base, **kw})  # type: ignore[arg-type]


def test_updates_are_kept_once_and_read_back_in_order(store: Store) -> None:
    board = OfficialBoard(store, VirtualClock(NOW))
    assert len(board.record("github", LINK, [_update(1), _update(2)])) == 2
    assert board.record("github", LINK, [_update(2), _update(1)]) == []
    # a new board on the same store (a restart) does not keep them twice either
    again = OfficialBoard(store, VirtualClock(NOW))
    assert again.record("github", LINK, [_update(1), _update(3)])[0]["text"] == "words 3"
    assert [u["text"] for u in again.updates("github", oldest_first=True)] == [
        "words 1", "words 2", "words 3"
    ]  # fmt: skip
    assert again.updates("github", since=NOW + timedelta(minutes=2), limit=1)[0]["text"] == (
        "words 3"
    )


def test_updates_naming_other_components_are_not_the_services(store: Store) -> None:
    board = OfficialBoard(store, VirtualClock(NOW))
    kept = board.record("gmail", "g", [_update(1, components=("Google Drive",)), _update(2)],
                        ("Gmail",))  # fmt: skip
    assert [u["text"] for u in kept] == ["words 2"]


def test_the_word_becomes_evidence(store: Store) -> None:
    board = OfficialBoard(store, VirtualClock(NOW))
    reading = STATUSPAGE.parse(page("statuspage-summary.json"), LINK)
    board.heard("actions", LINK, "statuspage", reading.view(("Actions",), NOW), NOW)
    board.heard("codespaces", LINK, "statuspage", reading.view(("Codespaces",), NOW), NOW)
    said = board.evidence("actions")
    assert said is not None and said.observed == 1 and said.level == 0
    assert board.maintenance("codespaces") == ("Codespaces database upgrade",)
    assert board.maintenance("actions") == ()
    assert board.evidence("nobody") is None
    word = board.word("actions")
    assert word is not None
    shown = word.to_dict(NOW + timedelta(seconds=40))
    assert shown["state"] == "degraded" and shown["checked_seconds_ago"] == 40


def test_the_reference_scenarios_statements_are_on_the_timeline(store: Store) -> None:
    scenario = load_scenario("meta-2021-10-04")
    board = OfficialBoard(store, VirtualClock(scenario.start))
    assert hear_statements(board, scenario.statements) == 12
    first, *_, last = board.updates("facebook", oldest_first=True)
    assert first["approximate"] and first["at"] == "2021-10-04T16:05:00Z"
    assert first["text"].startswith("We're aware that some people are having trouble")
    assert not last["approximate"] and last["at"] == "2021-10-04T22:33:59Z"


def _engine(store: Store, board: OfficialBoard | None) -> tuple[DetectionEngine, int]:
    catalog = default_catalog().subset(["github"])
    engine = DetectionEngine(store, catalog)
    engine.official = board
    start = minute_of(NOW) - 3 * 1440
    rng = np.random.default_rng(7)
    history = rng.poisson(20, size=(1, 3 * 1440)).astype(float)
    engine.warm(start, [SeriesKey("github", REPORTS, WORLD)], history)
    return engine, start + 3 * 1440


def _outage(engine: DetectionEngine, first: int, minutes: int = 20) -> list[str]:
    kinds: list[str] = []
    for m in range(first, first + minutes):
        engine.observe({(SeriesKey("github", REPORTS, WORLD), m): 400})
        kinds.extend(str(c.kind) for c in engine.tick(m))
    return kinds


def test_planned_maintenance_holds_an_outage_down(store: Store) -> None:
    engine, first = _engine(store, None)
    assert "opened" in _outage(engine, first)

    board = OfficialBoard(store, VirtualClock(NOW))
    work = Maintenance("m1", "Database upgrade", in_progress=True)
    reading = Reading(indicator=0, maintenances=[work])
    board.heard("github", LINK, "statuspage", reading.view((), NOW), NOW)
    held, first = _engine(store, board)
    assert _outage(held, first) == []
    assert held.fused["github"].reasons[0].code == "maintenance"


def test_a_provider_admitting_an_outage_opens_an_incident_alone(store: Store) -> None:
    board = OfficialBoard(store, VirtualClock(NOW))
    reading = Reading(indicator=MAJOR)
    board.heard("github", LINK, "statuspage", reading.view((), NOW), NOW)
    engine, first = _engine(store, board)
    kinds: list[str] = []
    for m in range(first, first + 10):
        engine.observe({(SeriesKey("github", REPORTS, WORLD), m): 20})
        kinds.extend(str(c.kind) for c in engine.tick(m))
    assert "opened" in kinds
    assert any(r.code == "official" for r in engine.fused["github"].reasons)
