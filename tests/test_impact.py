"""The impact of an outage: estimated from the counts the store keeps, said in one line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from rasd.catalog import load_catalog
from rasd.clock import VirtualClock, minute_of
from rasd.impact import Impact, ImpactReader, estimate, sentence
from rasd.series import REPORTS, WORLD, SeriesKey
from rasd.store import Store, open_store

START = datetime(2021, 10, 4, 15, 40, tzinfo=UTC)
FB = SeriesKey("facebook", REPORTS, WORLD)
WA = SeriesKey("whatsapp", REPORTS, WORLD)


@pytest.fixture
def store() -> Iterator[Store]:
    opened = open_store("sqlite:///:memory:")
    opened.migrate()
    yield opened
    opened.close()


def _fill(store: Store) -> None:
    first = minute_of(START)
    increments = {}
    for i in range(-30, 400):  # half an hour before, the outage, and after
        during = 0 <= i < 372
        increments[(FB, first + i)] = 1000 + (3 * i if during else 0) if during else 10
        increments[(WA, first + i)] = 400 if during else 10
    store.add_counts(increments)


def test_the_reports_above_the_usual_level_make_a_range_of_people(store: Store) -> None:
    _fill(store)
    end = START + timedelta(hours=6, minutes=12)
    impact = estimate(
        store,
        ["facebook", "whatsapp"],
        START,
        end,
        end + timedelta(hours=2),
        countries=42,
        people_per_report=(50, 200),
        usual=lambda key, minutes, step: [10.0] * len(minutes),
    )
    fb = sum(1000 + 3 * i - 10 for i in range(372))
    wa = (400 - 10) * 372
    assert impact.reports == fb + wa
    # the low end counts the people of the most reported service once, the high every report
    assert (impact.people_low, impact.people_high) == (50 * fb, 200 * (fb + wa))
    assert impact.minutes == 372 and impact.countries == 42 and not impact.ongoing
    assert impact.peak == 1000 + 3 * 371 + 400
    assert impact.peak_at == START + timedelta(minutes=371)


def test_without_a_usual_level_every_report_counts_and_an_open_outage_runs_to_now(
    store: Store,
) -> None:
    _fill(store)
    now = START + timedelta(minutes=10)
    impact = estimate(store, ["whatsapp"], START, None, now, countries=1, people_per_report=(1, 2))
    assert impact.ongoing and impact.minutes == 10
    assert impact.reports == 4000 and impact.people_high == 8000


def _impact(**changes: object) -> Impact:
    fields: dict[str, object] = {
        "reports": 10_600_000,
        "people_low": 690_000_000,
        "people_high": 2_760_000_000,
        "minutes": 372,
        "countries": 42,
        "peak": 80_000,
        "peak_at": START,
        "ongoing": False,
    }
    fields.update(changes)
    return Impact(**fields)  # type: ignore[arg-type]


META = {
    "en": ["Facebook", "Instagram", "WhatsApp", "Messenger"],
    "ar": ["فيسبوك", "إنستغرام", "واتساب", "ماسنجر"],
}


def test_the_line_people_repeat_in_both_languages() -> None:
    said = sentence(_impact(), META)
    assert said["en"] == (
        "About 690 million to 2.8 billion people in 42 countries could not use Facebook, "
        "Instagram, WhatsApp and Messenger for 6 h 12 min."
    )
    assert said["ar"] == (
        "نحو ٦٩٠ مليون إلى ٢٫٨ مليار شخص في ٤٢ دولة لم يتمكنوا من استخدام "
        "فيسبوك وإنستغرام وواتساب وماسنجر مدة ٦ ساعات و١٢ دقيقة."
    )


@pytest.mark.parametrize(
    ("changes", "en", "ar"),
    [
        ({"countries": 1}, "in 1 country could", "في دولة واحدة لم"),
        ({"countries": 2}, "in 2 countries", "في دولتين"),
        ({"countries": 0}, "people could not", "شخص لم"),
        # Arabic's six plural forms: zero, one, two, a few (3-10), many (11-99), other (100-102)
        ({"countries": 5}, "in 5 countries", "في ٥ دول لم"),
        ({"countries": 11}, "in 11 countries", "في ١١ دولة لم"),
        ({"countries": 103}, "in 103 countries", "في ١٠٣ دول لم"),
        ({"minutes": 600}, "for 10 h.", "مدة ١٠ ساعات."),
        ({"minutes": 660}, "for 11 h.", "مدة ١١ ساعة."),
        ({"minutes": 6000}, "for 100 h.", "مدة ١٠٠ ساعة."),
        ({"minutes": 62}, "for 1 h 2 min.", "مدة ساعة ودقيقتين."),
        ({"minutes": 45}, "for 45 min.", "مدة ٤٥ دقيقة."),
        ({"minutes": 120}, "for 2 h.", "مدة ساعتين."),
        ({"minutes": 61}, "for 1 h 1 min.", "مدة ساعة ودقيقة."),
        (
            {"people_low": 1200, "people_high": 4800},
            "About 1.2–4.8 thousand",
            "نحو ١٫٢ إلى ٤٫٨ ألف",
        ),
        ({"people_low": 12, "people_high": 480}, "About 12–480 people", "نحو ١٢ إلى ٤٨٠ شخص"),
        ({"ongoing": True}, "have not been able to use", "لا يستطيعون استخدام"),
    ],
)
def test_the_line_agrees_with_its_numbers(changes: dict[str, object], en: str, ar: str) -> None:
    said = sentence(_impact(**changes), {"en": ["WhatsApp"], "ar": ["واتساب"]})
    assert en in said["en"], said["en"]
    assert ar in said["ar"], said["ar"]


def test_an_event_counts_its_primary_services_and_not_its_spillover(store: Store) -> None:
    _fill(store)
    clock = VirtualClock(START + timedelta(hours=8))
    reader = ImpactReader(store, load_catalog(), clock, people_per_report=(1, 1))
    event = {
        "start": START.isoformat(),
        "end": (START + timedelta(minutes=60)).isoformat(),
        "primary": ["whatsapp"],
        "spillover": ["facebook"],
        "countries": ["US", "DE", "EG"],
    }
    impact = reader.of_event(event)
    assert impact is not None
    assert impact["reports"] == 400 * 60 and impact["countries"] == 3
    assert "WhatsApp" in impact["sentence"]["en"] and "Facebook" not in impact["sentence"]["en"]
    incident = {
        "service": "facebook",
        "start": START.isoformat(),
        "end": None,
        "regions": [{"region": "US"}, {"region": "US/Washington"}, {"region": "FR"}],
    }
    by_service = reader.of_incident(incident)
    assert by_service is not None and by_service["countries"] == 2 and by_service["ongoing"]
