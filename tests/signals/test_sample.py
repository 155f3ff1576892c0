"""What people are saying: the sample of complaint posts, its bounds, and where it is shown."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from rasd.clock import VirtualClock
from rasd.runtime import Runtime
from rasd.signals.sample import Heard, PostSample, runtime_sample


def _heard(key: str, at_minutes: float, clock: VirtualClock, **options: object) -> Heard:
    values: dict[str, object] = {
        "text": f"WhatsApp is down again {key}",
        "lang": "en",
        "link": f"https://social.example/profile/did:plc:x/post/{key}",
        "services": {"whatsapp": "complaint"},
    }
    values.update(options)
    return Heard(key, at=clock.now() + timedelta(minutes=at_minutes), **values)  # type: ignore[arg-type]


def test_only_complaints_are_kept_newest_first_within_bounds(
    runtime: Runtime, clock: VirtualClock
) -> None:
    sample = PostSample(runtime.store, clock, hours=1.0, per_service=3)
    written = sample.add(
        [
            _heard("a", -120, clock),  # older than the retention: gone at once
            _heard("b", -30, clock),
            _heard("c", -20, clock, services={"whatsapp": "question", "facebook": "recovery"}),
            _heard("d", -10, clock, services={"whatsapp": "other"}),
            _heard("e", -5, clock, lang=None, link="javascript:alert(1)"),
            _heard("f", -1, clock),
        ],
        "bluesky",
    )
    assert written == 5  # a, b, c (whatsapp only), e, f
    newest = sample.newest("whatsapp")
    assert [p["text"][-1] for p in newest] == ["f", "e", "c"]  # three a service, newest first
    assert newest[1]["link"] is None and newest[1]["lang"] is None
    assert newest[0]["link"] == "https://social.example/profile/did:plc:x/post/f"
    assert newest[2]["label"] == "question" and sample.newest("facebook") == []
    assert sample.add([_heard("f", -1, clock)], "bluesky") == 1  # taken twice, kept once
    assert len(sample.newest("whatsapp")) == 3
    clock.advance(timedelta(hours=2))
    assert sample.newest("whatsapp") == []


def test_the_service_page_and_api_show_it_in_both_languages(
    runtime: Runtime, client: TestClient, clock: VirtualClock
) -> None:
    runtime_sample(runtime).add(
        [
            _heard("p1", -3, clock, text="<b>WhatsApp</b> is down again", lang="en"),
            _heard("p2", -1, clock, text="واتساب واقف عندنا من بدري", lang="ar"),
        ],
        "mastodon:mastodon.example",
    )
    english = client.get("/services/whatsapp?lang=en").text
    assert "What people are saying" in english
    assert "&lt;b&gt;WhatsApp&lt;/b&gt; is down again" in english  # text, never markup
    assert english.index("واتساب واقف") < english.index("is down again")  # newest first
    assert 'lang="ar" dir="auto"' in english and "Mastodon" in english
    arabic = client.get("/services/whatsapp?lang=ar").text
    assert "ماذا يقول الناس" in arabic and "المنشور الأصلي" in arabic
    assert "لم يشتكِ" in client.get("/services/facebook?lang=ar").text
    body = client.get("/api/v1/services/whatsapp").json()
    (first, second) = body["saying"]
    assert first["text"] == "واتساب واقف عندنا من بدري" and first["lang"] == "ar"
    assert first["via"] == "Mastodon" and first["link"].startswith("https://")
    assert second["at"] < first["at"]
