import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from rasd.clock import minute_start
from rasd.correlate import Event, EventCorrelator, EventKind, EventState
from rasd.detect.fusion import Level
from rasd.phrase import Phrase

from .fixtures import EGYPT, T0, Rise, World, catalog, said, say

META = ["facebook", "instagram", "whatsapp", "messenger"]


def meta_rises(start: int = 5, end: int = 60, **kw: Any) -> list[Rise]:
    return [
        Rise("facebook", start, end, ratio=200, **kw),
        Rise("instagram", start, end, ratio=180, **kw),
        Rise("whatsapp", start + 1, end, ratio=150, **kw),
        Rise("messenger", start + 2, end, ratio=120, **kw),
    ]


def only(events: list[Event], kind: EventKind | None = None) -> Event:
    chosen = [e for e in events if kind is None or e.kind is kind]
    assert len(chosen) == 1, [say(e.title) for e in chosen]
    return chosen[0]


def test_meta_apps_make_one_event() -> None:
    world = World(meta_rises()).run(20)
    event = only(world.correlator.events())
    assert event.kind is EventKind.OUTAGE
    assert event.state is EventState.ACTIVE
    assert event.primary == tuple(META)
    assert event.spillover == ()
    assert event.owner == "meta"
    assert said(event.title) == {
        "en": "Meta: Facebook, Instagram, WhatsApp, Messenger",
        "ar": "ميتا: فيسبوك، إنستغرام، واتساب، ماسنجر",
    }
    assert event.start == minute_start(T0 + 5)
    assert event.end is None
    assert event.level is Level.DETECTED
    assert event.id == f"meta-{minute_start(T0 + 5):%Y%m%dT%H%MZ}"
    assert set(event.incidents) == set(META)
    assert event.countries[:3] == ("US", "DE", "FR")
    opened = [c for _, c in world.changes if c.kind == "opened"]
    assert len(opened) == 1
    assert [entry.kind for entry in event.log][:1] == ["opened"]
    assert "joined_owner" in [entry.kind for entry in event.log]


def test_spillover_rises_later_smaller_and_without_failures() -> None:
    rises = meta_rises() + [
        Rise("twitter", 15, 60, ratio=6),
        Rise("telegram", 16, 60, ratio=4, usual=10),
    ]
    world = World(rises).run(30)
    event = only(world.correlator.events())
    assert event.primary == tuple(META)
    assert event.spillover == ("twitter", "telegram")
    assert event.role_of("twitter") == "spillover"
    assert event.role_of("facebook") == "primary"
    assert event.role_of("youtube") is None
    assert "Twitter" not in say(event.title)
    kinds = [entry.kind for entry in event.log]
    assert kinds.count("spillover") == 2
    line = next(e for e in event.log if e.kind == "spillover")
    assert line.services == ("twitter",)
    assert "spill-over" in say(line.text) and "أثر جانبي" in say(line.text, "ar")


def test_a_later_rise_with_failures_of_its_own_is_an_outage() -> None:
    rises = meta_rises() + [Rise("twitter", 15, 60, ratio=6, probes_fail=(15, 60))]
    world = World(rises).run(30)
    events = world.correlator.events()
    assert len(events) == 2
    twitter = next(e for e in events if "twitter" in e.primary)
    assert twitter.primary == ("twitter",)
    assert say(twitter.title) == "Twitter"


def test_spillover_that_starts_failing_is_promoted() -> None:
    rises = meta_rises() + [Rise("twitter", 15, 60, ratio=6, probes_fail=(25, 60))]
    world = World(rises).run(22)
    assert only(world.correlator.events()).spillover == ("twitter",)
    world.run(6)
    events = world.correlator.events()
    meta = next(e for e in events if e.owner == "meta")
    assert meta.spillover == ()
    assert "promoted" in [entry.kind for entry in meta.log]
    twitter = next(e for e in events if e.primary == ("twitter",))
    assert twitter.kind is EventKind.OUTAGE


def test_spillover_that_grows_as_large_as_the_event_is_promoted() -> None:
    rises = meta_rises() + [
        Rise("twitter", 15, 25, ratio=6),
        Rise("twitter", 25, 60, ratio=400),
    ]
    world = World(rises).run(35)
    events = world.correlator.events()
    assert len(events) == 2
    assert next(e for e in events if e.owner == "meta").spillover == ()


def test_a_smaller_rise_at_the_same_time_is_not_spillover() -> None:
    world = World(meta_rises() + [Rise("twitter", 5, 60, ratio=6)]).run(20)
    events = world.correlator.events()
    assert sorted(e.primary for e in events) == [tuple(META), ("twitter",)]


def test_same_owner_joining_later_is_still_grouped() -> None:
    rises = meta_rises()[:3] + [Rise("messenger", 45, 80, ratio=5)]
    world = World(rises).run(55)
    event = only(world.correlator.events())
    assert event.primary == tuple(META)
    assert event.spillover == ()
    assert say(event.title) == "Meta: Facebook, Instagram, WhatsApp, Messenger"


def test_shared_infrastructure_starting_together_is_one_event() -> None:
    world = World([Rise("amazon", 5, 40), Rise("netflix", 7, 40)]).run(15)
    event = only(world.correlator.events())
    assert event.primary == ("amazon", "netflix")
    assert event.owner is None
    assert say(event.title) == "Amazon, Netflix"
    assert say(event.title, "ar") == "أمازون، نتفليكس"
    joined = next(e for e in event.log if e.kind == "joined_infrastructure")
    assert "cloud:aws" in say(joined.text)


def test_shared_infrastructure_far_apart_is_not_one_event() -> None:
    world = World([Rise("amazon", 5, 80), Rise("netflix", 40, 80)]).run(50)
    assert sorted(e.primary for e in world.correlator.events()) == [("amazon",), ("netflix",)]


def test_unrelated_simultaneous_outages_are_separate_events() -> None:
    world = World([Rise("spotify", 5, 40), Rise("discord", 5, 40, ratio=80)]).run(15)
    events = world.correlator.events()
    assert sorted(e.primary for e in events) == [("discord",), ("spotify",)]
    assert all(e.kind is EventKind.OUTAGE for e in events)
    assert len([c for _, c in world.changes if c.kind == "opened"]) == 2


EGYPTIANS = ["vodafone-eg", "orange-eg", "we", "etisalat-eg", "fawry", "youtube"]


def test_many_unrelated_services_in_one_country_are_one_regional_event() -> None:
    rises = [
        Rise(service, 5 + i % 4, 60, ratio=12, spread=EGYPT) for i, service in enumerate(EGYPTIANS)
    ]
    world = World(rises).run(20)
    event = only(world.correlator.events())
    assert event.kind is EventKind.REGIONAL
    assert event.country == "EG"
    assert set(event.primary) == set(EGYPTIANS)
    assert event.countries[0] == "EG"
    assert event.spillover == ()
    assert event.id.startswith("regional-eg-")
    assert say(event.title).startswith("Network outage in Egypt: ")
    assert say(event.title).endswith(" and 1 more")
    assert say(event.title, "ar").startswith("انقطاع الشبكة في مصر: ")
    assert "regional" in [entry.kind for entry in event.log]
    # The events given to the first services before the pattern showed were folded into it.
    merged = [c.event for _, c in world.changes if c.kind == "merged"]
    assert merged and all(e.merged_into == event.id for e in merged)
    assert all(e.state is EventState.MERGED for e in merged)
    assert world.correlator.get(merged[0].id) is not None
    for incident in world.tracker.open_incidents():
        found = world.correlator.event_of(incident.id)
        assert found is not None and found.id == event.id


def test_a_late_service_of_the_country_joins_the_regional_event() -> None:
    rises = [Rise(s, 5, 80, ratio=12, spread=EGYPT) for s in EGYPTIANS[:5]]
    rises.append(Rise("stc", 5, 80, ratio=12, spread={"SA": 1.0}))
    rises.append(Rise("youtube", 40, 80, ratio=3, spread=EGYPT))
    world = World(rises).run(50)
    events = world.correlator.events()
    regional = only(events, EventKind.REGIONAL)
    assert "youtube" in regional.primary
    joined = next(e for e in regional.log if e.kind == "joined_region")
    assert joined.services == ("youtube",)
    assert say(joined.text) == "YouTube joined: failing in Egypt too"
    assert say(joined.text, "ar") == "انضمت يوتيوب: تتعطل في مصر أيضًا"
    assert "stc" not in regional.primary
    assert only([e for e in events if e.kind is EventKind.OUTAGE]).primary == ("stc",)


def test_few_services_in_one_country_are_not_regional() -> None:
    rises = [Rise(s, 5, 40, ratio=12, spread=EGYPT) for s in EGYPTIANS[:2]]
    world = World(rises).run(15)
    events = world.correlator.events()
    assert sorted(e.primary for e in events) == [("orange-eg",), ("vodafone-eg",)]
    assert all(e.kind is EventKind.OUTAGE for e in events)


def test_one_owner_failing_in_one_country_is_not_regional() -> None:
    rises = [Rise(s, 5, 40, ratio=12, spread=EGYPT) for s in META]
    world = World(rises).run(15)
    event = only(world.correlator.events())
    assert event.kind is EventKind.OUTAGE
    assert event.owner == "meta"


def test_global_rises_of_many_owners_are_not_regional() -> None:
    rises = [Rise(s, 5, 40, ratio=12) for s in ["spotify", "discord", "youtube", "twitter"]]
    world = World(rises).run(15)
    events = world.correlator.events()
    assert len(events) == 4
    assert all(e.kind is EventKind.OUTAGE for e in events)


def test_event_recovers_resolves_and_reopens_on_a_relapse() -> None:
    rises = meta_rises(end=30) + [Rise("whatsapp", 45, 70, ratio=100)]
    world = World(rises)
    world.run(34)
    event = only(world.correlator.events())
    assert event.state is EventState.RECOVERING
    world.run(6)
    event = only(world.correlator.events())
    assert event.state is EventState.RESOLVED
    assert event.end == minute_start(T0 + 30)
    assert event.level is Level.OK
    assert world.correlator.events(include_resolved=False) == []
    world.run(10)
    again = only(world.correlator.events())
    assert again.id == event.id
    assert again.state is EventState.ACTIVE
    assert again.end is None
    kinds = [c.kind for _, c in world.changes]
    assert kinds.index("recovering") < kinds.index("resolved") < kinds.index("reopened")
    assert "reopened" in [entry.kind for entry in again.log]


def test_unknown_services_still_get_events() -> None:
    world = World([Rise("not-in-catalog", 5, 40), Rise("other-unknown", 5, 40)]).run(12)
    events = world.correlator.events()
    assert sorted(say(e.title) for e in events) == ["not-in-catalog", "other-unknown"]
    assert all(e.owner is None for e in events)


def test_the_same_minutes_tell_the_same_story() -> None:
    def story() -> list[dict[str, object]]:
        rises = meta_rises(end=30) + [Rise("twitter", 15, 25, ratio=6)]
        rises += [Rise(s, 10, 30, ratio=12, spread=EGYPT) for s in EGYPTIANS[:4]]
        world = World(rises).run(45)
        return [c.to_dict() for _, c in world.changes]

    first = story()
    assert first == story()
    json.dumps(first, ensure_ascii=False)


def test_to_dict_is_json() -> None:
    world = World(meta_rises() + [Rise("twitter", 15, 60, ratio=6)]).run(20)
    data = json.loads(json.dumps(only(world.correlator.events()).to_dict(), ensure_ascii=False))
    assert data["kind"] == "outage"
    assert data["state"] == "active"
    assert data["primary"] == META
    assert data["spillover"] == ["twitter"]
    assert say(Phrase.from_dict(data["title"]), "ar") == "ميتا: فيسبوك، إنستغرام، واتساب، ماسنجر"
    assert data["title"]["code"] == "title.outage" and data["title"]["args"]["owner"] == "meta"
    assert data["start"] == "2021-10-04T15:35:00+00:00"
    assert data["cause_hints"] == []
    assert {"at", "kind", "services", "text"} <= set(data["log"][0])


@dataclass(frozen=True)
class Hint:
    code: str
    services: list[str]
    text: dict[str, str] = field(default_factory=lambda: {"en": "DNS fails", "ar": "فشل DNS"})
    summary: dict[str, str] = field(default_factory=lambda: {"en": "5 of 5", "ar": "5 من 5"})
    # words, as a hint checkpointed before hints kept codes holds them
    at: dict[str, str] = field(default_factory=lambda: {"en": "Meta", "ar": "ميتا"})

    @property
    def key(self) -> str:
        return f"{self.code}:{self.services[0]}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "services": self.services, "text": self.text,
                "summary": self.summary, "at": self.at}  # fmt: skip


def test_cause_hints_go_to_the_events_they_name_once_they_hold() -> None:
    world = World(meta_rises() + [Rise("spotify", 5, 60)]).run(10)
    hints = [Hint("dns_owner", ["facebook", "instagram"]), Hint("application", ["discord"])]
    # believed on the third minute running (hint_hold = 3), not before
    assert world.correlator.attach_hints(T0 + 10, hints) == []
    assert world.correlator.attach_hints(T0 + 11, hints) == []
    changes = world.correlator.attach_hints(T0 + 12, hints)
    assert [c.kind for c in changes] == ["updated"]
    meta = changes[0].event
    assert meta.owner == "meta"
    assert [h.code for h in meta.cause_hints] == ["dns_owner"]
    hints_out = meta.to_dict()["cause_hints"]
    assert isinstance(hints_out, list)
    data = hints_out[0]
    assert data["first_seen"] == minute_start(T0 + 10).isoformat()
    assert data["state"] == "holding" and data["text"] == hints[0].text
    assert meta.log[-1].kind == "cause" and "DNS fails" in say(meta.log[-1].text)
    assert said(meta.cause) == {"en": "DNS at Meta: 5 of 5", "ar": "DNS لدى ميتا: 5 من 5"}
    assert world.correlator.attach_hints(T0 + 13, hints) == []  # nothing new


def test_a_cause_hint_that_flickers_gives_one_timeline_entry_and_stays_after_the_end() -> None:
    world = World(meta_rises(end=40)).run(6)
    dns = Hint("dns_owner", ["facebook"])
    moved = Hint("dns_owner", ["facebook"], summary={"en": "4 of 5", "ar": "4 من 5"})
    changes: list[Any] = []
    for minute in range(6, 30):
        world.step()
        # gone every fourth minute, its counts moving: never absent for ten minutes
        given = [] if minute % 4 == 0 else [dns if minute % 3 else moved]
        changes += world.correlator.attach_hints(T0 + minute, given)
    event = world.correlator.events()[0]
    assert [e.kind for e in event.log].count("cause") == 1
    assert "cause_ended" not in [e.kind for e in event.log]
    assert any(c.kind == "updated" for c in changes)  # the counts moved: the event says so
    for minute in range(30, 41):  # the names answer again
        world.step()
        world.correlator.attach_hints(T0 + minute, [])
    event = world.correlator.events()[0]
    assert [e.kind for e in event.log].count("cause_ended") == 1
    assert say(event.log[-1].text) == "No longer seen: DNS at Meta"
    world.run(40)
    event = world.correlator.events()[0]
    assert event.state is EventState.RESOLVED
    assert [(c.code, c.to_dict()["state"]) for c in event.cause_hints] == [("dns_owner", "ended")]
    assert said(event.to_dict()["cause"]) == {
        "en": "DNS at Meta: 5 of 5",
        "ar": "DNS لدى ميتا: 5 من 5",
    }


def test_settings_and_minutes_are_checked() -> None:
    with pytest.raises(TypeError):
        EventCorrelator(catalog(), owner_windw=3)
    with pytest.raises(ValueError):
        EventCorrelator(catalog(), regional_min_owners=1)
    with pytest.raises(ValueError):
        EventCorrelator(catalog(), spill_window=-1)
    correlator = EventCorrelator(catalog())
    assert correlator.update(T0, [], [], {}) == []
    with pytest.raises(ValueError):
        correlator.update(T0 - 1, [], [], {})
    assert correlator.get("nothing") is None
    assert correlator.event_of("nothing") is None


def test_resolved_events_are_forgotten_after_a_day() -> None:
    world = World(meta_rises(end=20), keep_resolved=30).run(40)
    assert only(world.correlator.events()).state is EventState.RESOLVED
    world.run(30)
    assert world.correlator.events() == []


def test_same_owner_joins_an_event_still_on_however_long_ago_it_began() -> None:
    rises = meta_rises(end=80)[:3] + [Rise("messenger", 45, 80, ratio=50)]
    world = World(rises, owner_window=10).run(55)
    assert only(world.correlator.events()).primary == tuple(META)


def test_same_owner_after_the_event_is_over_and_past_the_window_is_new() -> None:
    rises = meta_rises(end=20)[:3] + [Rise("messenger", 45, 80, ratio=50)]
    world = World(rises, owner_window=10).run(55)
    events = world.correlator.events()
    assert sorted(e.primary for e in events) == [
        ("facebook", "instagram", "whatsapp"),
        ("messenger",),
    ]


def test_the_reference_event_with_the_built_in_catalog() -> None:
    from rasd.catalog import default_catalog

    rises = meta_rises() + [
        Rise("twitter", 15, 60, ratio=6),
        Rise("telegram", 16, 60, ratio=4, usual=10),
        Rise("tiktok", 17, 60, ratio=3),
    ]
    world = World(rises, default_catalog()).run(30)
    event = only(world.correlator.events())
    assert said(event.title) == {
        "en": "Meta: Facebook, Instagram, WhatsApp, Messenger",
        "ar": "ميتا: فيسبوك، إنستغرام، واتساب، ماسنجر",
    }
    assert set(event.spillover) == {"twitter", "telegram", "tiktok"}
    assert event.owner == "meta"


def test_changes_alone_are_enough_to_place_new_incidents() -> None:
    world = World(meta_rises()).run(10)
    fresh = EventCorrelator(catalog())
    opened = [c for c in world.incident_changes if c.kind == "opened"]
    changes = fresh.update(T0 + 10, opened, [], {})
    assert [c.kind for c in changes] == ["opened"]
    assert changes[0].event.primary == tuple(META)


def test_a_timeline_line_checkpointed_in_words_is_kept_in_words() -> None:
    # an engine checkpointed before events kept codes unpickles its lines with their words
    from rasd.correlate.event import LogEntry

    words = {"en": "Resolved", "ar": "تم الحل"}
    old = LogEntry(minute_start(T0), "resolved", (), words)  # type: ignore[arg-type]
    assert old.to_dict()["text"] == words
    assert said(old.to_dict()["text"]) == words
