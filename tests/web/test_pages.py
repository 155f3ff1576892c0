import re
from datetime import timedelta

from fastapi.testclient import TestClient
from tests_support import assert_error_shape

from rasd.clock import VirtualClock, minute_of, minute_start
from rasd.http.page_epoch import touch
from rasd.runtime import Runtime
from rasd.web import views

REPORT = {"service": "whatsapp", "problem": "messages", "reporter": "r1", "country": "EG"}


def _incident(rt: Runtime, service: str, level: int, start_minute: int) -> None:
    start = minute_start(start_minute)
    data = {
        "id": f"{service}-1",
        "service": service,
        "state": "ongoing",
        "level": level,
        "max_level": level,
        "start": start.isoformat(),
        "end": None,
        "detected_at": (start + timedelta(minutes=3)).isoformat(),
        "updated_at": (start + timedelta(minutes=5)).isoformat(),
        "peak": {"observed": 120.0, "expected": 4.0, "ratio": 30.0, "at": start.isoformat()},
        "severity": {"grade": "major"},
        "regions": [],
        "relapses": 0,
        "probe_failures": False,
    }
    rt.store.upsert_incidents(
        [
            {
                "id": data["id"],
                "service": service,
                "state": "ongoing",
                "level": level,
                "start_ms": start_minute * 60_000,
                "end_ms": None,
                "updated_ms": start_minute * 60_000,
                "event_id": None,
                "data": data,
            }
        ]
    )


def test_home_is_english_by_default_and_arabic_right_to_left_when_asked(
    client: TestClient,
) -> None:
    english = client.get("/", headers={"accept-language": "en-US"})
    assert english.status_code == 200
    assert '<html lang="en" dir="ltr">' in english.text
    arabic = client.get("/", headers={"accept-language": "ar-EG,ar;q=0.9"})
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert "الحالة الآن" in arabic.text and "فيسبوك" in arabic.text
    assert english.headers["vary"] == "Accept-Language, Cookie, Accept-Encoding"


def test_the_language_switch_is_remembered(client: TestClient) -> None:
    switched = client.get("/lang/ar?next=/services/facebook", follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/services/facebook"
    page = client.get("/services/facebook", headers={"accept-language": "en"})
    assert 'dir="rtl"' in page.text
    offsite = client.get("/lang/en?next=//elsewhere.example/", follow_redirects=False)
    assert offsite.headers["location"] == "/"


def test_search_finds_a_service_by_any_of_its_names(client: TestClient) -> None:
    page = client.get("/", params={"q": "واتس", "lang": "en"})
    assert '<a href="/services/whatsapp">WhatsApp</a>' in page.text


def test_user_text_is_escaped_and_no_script_is_inline(client: TestClient) -> None:
    page = client.get("/", params={"q": "<script>alert(1)</script>", "lang": "en"})
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)" in page.text
    for tag in re.findall(r"<script[^>]*>", page.text):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_a_service_page_tells_its_status_and_counts_reports(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    assert client.post("/api/v1/reports", json=REPORT).status_code == 202
    clock.advance(timedelta(minutes=1))
    ok = client.get("/services/whatsapp", params={"lang": "en"})
    assert "No problems at WhatsApp right now" in ok.text
    # a count takes each language's plural form: one report (Arabic's "one" form comes below)
    assert "1 report in the last 24 hours." in ok.text
    view = client.get("/api/v1/view/services/whatsapp").json()
    assert view["total_24h"] == 1
    assert view["problems"][0] == {"id": "messages", "name": "Messages", "reports": 1, "share": 1.0}
    assert view["regions"]["countries"][0]["code"] == "EG"
    assert view["regions"]["countries"][0]["numeric"] == "818"
    _incident(runtime, "whatsapp", 2, minute_of(clock.now()) - 10)
    down = client.get("/services/whatsapp", params={"lang": "ar"})
    assert "يبلغ المستخدمون عن مشكلات في واتساب منذ" in down.text
    assert "الذروة: ١٢٠ بلاغ في الدقيقة، ٣٠٫٠ ضعف المستوى المعتاد." in down.text
    assert "بلاغ واحد خلال آخر ٢٤ ساعة." in down.text
    home = client.get("/api/v1/view/home").json()
    top = home["groups"][0]
    assert top["level"] == 2 and [s["id"] for s in top["services"]] == ["whatsapp"]
    history = client.get("/api/v1/view/history", params={"service": "whatsapp"}).json()
    assert history["incidents"][0]["minutes"] == 10


def test_browsing_by_category_and_country(client: TestClient, runtime: Runtime) -> None:
    view = client.get("/api/v1/view/home", params={"category": "messaging"}).json()
    ids = {s["id"] for g in view["groups"] for s in g["services"]}
    assert "whatsapp" in ids and "facebook" not in ids
    egypt = client.get("/api/v1/view/home", params={"country": "eg"}).json()
    ids = {s["id"] for g in egypt["groups"] for s in g["services"]}
    elsewhere = {s.id for s in runtime.catalog if s.countries and "EG" not in s.countries}
    assert elsewhere and "facebook" in ids and not ids & elsewhere


def test_unknown_pages_are_404_pages(client: TestClient) -> None:
    assert client.get("/services/nope").status_code == 404
    assert client.get("/events/nope").status_code == 404
    assert client.get("/api/v1/view/events/nope").status_code == 404
    # the twins are drawn as the pages are, yet a miss is the API's error, never kept
    for _ in range(2):
        for path in ("/api/v1/view/events/nope", "/api/v1/view/services/nope"):
            missing = client.get(path, headers={"accept-encoding": "gzip"})
            assert missing.status_code == 404 and "etag" not in missing.headers
            assert assert_error_shape(missing.json())["code"] == "not_found"


def test_pages_and_their_json_answer_304_to_a_known_etag(client: TestClient) -> None:
    for path in ("/services/facebook?lang=en", "/api/v1/view/services/facebook"):
        first = client.get(path)
        assert first.headers["cache-control"] in ("public, max-age=5", "private, no-cache")
        again = client.get(path, headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""


def test_the_sparkline_matches_the_counts() -> None:
    assert views.spark_points([0, 0]) == "0,31 190,31"
    assert views.spark_points([0, 10, 5]) == "0,31 95,1 190,16"


def test_an_event_page_says_its_causes_in_one_sentence(
    client: TestClient, runtime: Runtime
) -> None:
    from correlate.fixtures import T0, Rise, World

    from rasd.correlate.hints import CauseHint

    world = World([Rise(s, 5, 60, ratio=100) for s in ("facebook", "instagram")]).run(8)
    hint = CauseHint(
        "dns_owner", {"en": "Names fail.", "ar": "الأسماء تفشل."}, ["facebook", "instagram"],
        {}, "meta", {"en": "Meta", "ar": "ميتا"},
        {"en": "SERVFAIL from 5 of 5 vantage points", "ar": "SERVFAIL من 5 من أصل 5 نقاط رصد"},
    )  # fmt: skip
    for m in range(8, 11):
        world.correlator.attach_hints(T0 + m, [hint])
    event = world.correlator.events()[0]
    data = event.to_dict()
    runtime.store.upsert_events([{"id": event.id, "kind": "outage", "state": "active",
                                  "start_ms": int(event.start.timestamp() * 1000), "end_ms": None,
                                  "updated_ms": int(event.start.timestamp() * 1000),
                                  "data": data}])  # fmt: skip
    english = client.get(f"/events/{event.id}?lang=en").text
    assert "DNS at Meta: SERVFAIL from 5 of 5 vantage points" in english
    assert "Likely cause: Names fail." in english
    assert "DNS لدى ميتا" in client.get(f"/events/{event.id}?lang=ar").text


def test_a_page_is_drawn_once_per_change_and_a_known_tag_costs_no_drawing(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    first = client.get("/services/whatsapp")
    cache = client.app.state.page_cache  # type: ignore[attr-defined]
    drawn = cache.drawn
    again = client.get("/services/whatsapp")
    assert again.text == first.text and cache.drawn == drawn
    assert again.headers["etag"] == first.headers["etag"] and again.headers["last-modified"]
    unchanged = client.get("/services/whatsapp", headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and not unchanged.content and cache.drawn == drawn
    # each language, each page and each query is its own drawing
    client.get("/services/whatsapp", params={"lang": "ar"})
    client.get("/services/telegram")
    assert cache.drawn == drawn + 2
    # something the page shows written elsewhere: drawn again
    touch(runtime)
    client.get("/services/whatsapp")
    assert cache.drawn == drawn + 3
    # a new minute (without detection in this process, every minute is a tick): drawn again
    clock.advance(timedelta(minutes=1))
    client.get("/services/whatsapp")
    assert cache.drawn == drawn + 4
