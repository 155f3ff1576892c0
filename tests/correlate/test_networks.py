"""Network outages: a regional rise that comes from one network is named after it."""

from __future__ import annotations

from rasd.catalog import load_catalog
from rasd.correlate import EventKind
from rasd.correlate.networks import Counts, NetworkRise
from rasd.ingest.networks import Network
from rasd.pipeline.checkpoint import dump_engine, load_engine
from rasd.pipeline.engine import DetectionEngine
from rasd.series import NETWORK_REPORTS, SeriesKey
from rasd.store import Store, open_store

from .fixtures import EGYPT, T0, Rise, World, say

VODAFONE = "AS24835|EG|Vodafone Egypt"
TE_DATA = "AS8452|EG|TE Data"
ORANGE = "AS24863|EG|Orange Egypt"
EGYPTIANS = ["vodafone-eg", "orange-eg", "we", "etisalat-eg", "fawry", "youtube"]


def _counts(per_minute: dict[str, tuple[int, int]], onset: int) -> Counts:
    """Reports of each network per minute, (before the onset, after it), for every service."""

    def counts(service: str, since: int, until: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for label, (usual, rising) in per_minute.items():
            before = max(0, min(until, onset) - since)
            after = max(0, until - max(since, onset))
            n = usual * before + rising * after
            if n:
                out[label] = n
        return out

    return counts


def test_one_network_rising_while_others_stay_quiet_is_named() -> None:
    rise = NetworkRise(_counts({VODAFONE: (10, 200), TE_DATA: (30, 31), ORANGE: (5, 6)}, 100))
    assert rise(["facebook", "whatsapp"], 100, 110) == Network(24835, "Vodafone Egypt", "EG")


def test_a_rise_on_every_network_names_none() -> None:
    rise = NetworkRise(_counts({VODAFONE: (10, 100), TE_DATA: (10, 90), ORANGE: (5, 60)}, 100))
    assert rise(["facebook"], 100, 110) is None


def test_a_large_network_at_its_usual_level_is_not_the_rise() -> None:
    # TE Data has the most reports, as every day; the rise is Orange's
    rise = NetworkRise(_counts({TE_DATA: (500, 505), ORANGE: (2, 40)}, 100))
    assert rise(["facebook"], 100, 110) == Network(24863, "Orange Egypt", "EG")


def test_too_few_reports_name_no_network() -> None:
    rise = NetworkRise(_counts({VODAFONE: (0, 1)}, 100), least=20)
    assert rise(["facebook"], 100, 110) is None
    assert NetworkRise(_counts({}, 100))(["facebook"], 100, 110) is None


def test_the_counts_come_from_the_stored_network_series(store: Store) -> None:
    increments = {
        (SeriesKey("facebook", NETWORK_REPORTS, VODAFONE), m): 3 if m < 100 else 90
        for m in range(40, 110)
    }
    increments[(SeriesKey("whatsapp", NETWORK_REPORTS, TE_DATA), 105)] = 4
    store.write_reports(None, increments)
    rise = NetworkRise.of_store(store)
    assert rise(["facebook", "whatsapp"], 100, 110) == Network(24835, "Vodafone Egypt", "EG")


def _regional_world(counts: NetworkRise) -> World:
    rises = [
        Rise(service, 5 + i % 4, 60, ratio=12, spread=EGYPT) for i, service in enumerate(EGYPTIANS)
    ]
    world = World(rises)
    world.correlator.networks = counts
    return world


def test_a_regional_event_from_one_network_is_a_network_outage() -> None:
    onset = T0 + 5
    world = _regional_world(NetworkRise(_counts({VODAFONE: (3, 80), TE_DATA: (9, 10)}, onset)))
    world.run(20)
    events = [e for e in world.correlator.events() if e.kind is EventKind.REGIONAL]
    assert len(events) == 1
    event = events[0]
    assert event.network is not None
    assert event.network["title"] == "Vodafone Egypt, AS24835"
    assert say(event.title).startswith("Network outage at Vodafone Egypt, AS24835: ")
    assert say(event.title, "ar").startswith("انقطاع شبكة Vodafone Egypt, AS24835: ")
    assert event.to_dict()["network"] == {
        "asn": 24835,
        "name": "Vodafone Egypt",
        "country": "EG",
        "title": "Vodafone Egypt, AS24835",
    }
    assert [e.kind for e in event.log].count("network") == 1


def test_a_regional_event_on_every_network_keeps_the_country_title() -> None:
    onset = T0 + 5
    world = _regional_world(NetworkRise(_counts({VODAFONE: (3, 80), TE_DATA: (9, 90)}, onset)))
    world.run(20)
    event = next(e for e in world.correlator.events() if e.kind is EventKind.REGIONAL)
    assert event.network is None
    assert say(event.title).startswith("Network outage in Egypt: ")
    assert event.to_dict()["network"] is None


def test_an_engine_with_a_network_reader_is_saved_and_restored() -> None:
    """The reader reads the store; what is saved is what the correlator knows, and the
    restoring engine puts its own reader back."""
    store = open_store("sqlite:///:memory:")
    store.migrate()
    try:
        saved = DetectionEngine(store, load_catalog())
        saved.last_minute = 1
        restored = DetectionEngine(store, load_catalog())
        reader = restored.correlator.networks
        load_engine(restored, dump_engine(saved))
        assert restored.correlator.networks is reader and reader is not None
        assert restored.last_minute == 1
    finally:
        store.close()
