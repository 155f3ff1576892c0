"""The reference scenario's statements: replayed at their times onto the official timeline,
where the lag from Rasd's detection to Meta's first word is measured."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from rasd.assembly import embedded
from rasd.catalog import load_catalog
from rasd.cli.options import settings_from
from rasd.cli.replay import statements
from rasd.clock import VirtualClock
from rasd.correlate.admission import acknowledgement
from rasd.ingest.places import Places
from rasd.replay import InProcessSink, Replay
from rasd.signals.official import board_of
from rasd.sim import Simulation, load_scenario
from rasd.sim.scenario import scenario_from_dict
from rasd.web import views


def test_a_statement_outside_the_scenario_is_refused() -> None:
    data = load_scenario("meta-2021-10-04").model_dump(mode="json")
    data["statements"][0]["at"] = "2021-10-06T00:00:00Z"
    with pytest.raises(Exception, match=r"statements\[0\].at: must fall within"):
        scenario_from_dict(data, "x.toml")


def test_meta_acknowledges_the_outage_after_rasd_sees_it(tmp_path: Path) -> None:
    scenario = load_scenario("meta-2021-10-04").scaled(0.02)
    start = scenario.start + timedelta(hours=15, minutes=30)
    window = scenario.model_copy(update={"start": start, "end": start + timedelta(minutes=50)})
    sim = Simulation(window, load_catalog(), Places.default())
    clock = VirtualClock(sim.start)
    runtime = embedded(settings_from(store_url=f"sqlite:///{tmp_path / 'm.db'}"), clock=clock)
    try:
        engine = runtime.detector()
        history = sim.history(2)
        engine.warm(history.start_minute, history.series, history.counts)
        assert runtime.aggregator is not None  # an embedded process counts
        sink = InProcessSink(runtime.aggregator.feed, clock, engine.tick)
        Replay(sim, sink, official=statements(runtime)).run()

        board = board_of(runtime)
        (said,) = board.updates("facebook")  # 16:05 only: the others come after the window
        assert said["approximate"] and said["at"] == "2021-10-04T16:05:00Z"
        event = next(e.data for e in runtime.store.list_events() if "facebook" in e.primary)
        ack = acknowledgement(board, event, clock.now())
        assert ack["approximate"] and ack["first_word"]["service"] in event["primary"]
        # Rasd sees it within minutes of the routes going (15:40, probes failing from then);
        # Meta spoke at about 16:05
        assert "2021-10-04T15:40:00Z" <= ack["detected_at"] < "2021-10-04T15:50:00Z"
        assert 15 * 60 < ack["lag_seconds"] <= 25 * 60

        page = views.event(runtime, event["id"], "en")
        official = [e for e in page["timeline"] if e["source"] == "official"]
        assert official[0]["text"].startswith("Investigating: Trouble accessing our apps")
        assert official[0]["text"].endswith("(time approximate)")
        shown = views.service(runtime, "facebook", "ar")["official"]
        assert shown is not None and "أقرّ المزوّد بالمشكلة أول مرة بعد" in shown["lines"][0]
    finally:
        runtime.store.close()
