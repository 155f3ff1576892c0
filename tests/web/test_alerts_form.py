"""The "Get alerts" form of a service page, posted as a browser without a script posts it."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from notify.receiver import receiver

from rasd.locale import languages
from rasd.notify.notifier import notifier_of
from rasd.runtime import Runtime
from rasd.web import i18n


def test_the_service_page_offers_the_form_in_both_languages(client: TestClient) -> None:
    for lang in languages():
        t = i18n.strings(lang)
        page = client.get(f"/services/facebook?lang={lang}").text
        assert f'action="/services/facebook/alerts?lang={lang}"' in page
        assert t["alerts_title"] in page and t["alerts_send"] in page
        assert 'name="url"' in page and 'value="webhook"' in page and 'value="apprise"' in page


async def test_the_form_asks_for_alerts_in_the_pages_language(
    client: TestClient, runtime: Runtime
) -> None:
    with receiver() as hook:
        form = {"channel": "webhook", "url": hook.url, "min_level": "problems_detected"}
        answered = client.post("/services/facebook/alerts?lang=ar", data=form)
        assert answered.status_code == 200, answered.text
        assert answered.headers["content-type"].startswith("text/html")
        assert answered.headers["cache-control"] == "no-store"
        assert 'dir="rtl"' in answered.text and "أُرسلت رسالة واحدة" in answered.text
        notifier = notifier_of(runtime)
        assert await notifier.deliver_due() == 1
        await notifier.close()
    sent = json.loads(hook.received[0].body)["subscription"]
    assert (sent["lang"], sent["min_level"]) == ("ar", "problems_detected")
    assert sent["state"] == "pending"
    assert sent["scope"] == {"kind": "service", "value": "facebook"}
    # the same again sends nothing new, and says so
    again = client.post("/services/facebook/alerts?lang=en", data=form)
    assert again.status_code == 200 and "nothing new was sent" in again.text


def test_a_bad_form_is_answered_with_a_page_that_says_why(client: TestClient) -> None:
    t = i18n.strings("ar")
    bad_url = client.post(
        "/services/facebook/alerts?lang=ar", data={"channel": "webhook", "url": "ftp://x"}
    )
    assert bad_url.status_code == 422 and t["alerts_bad_url"] in bad_url.text
    assert 'role="alert"' in bad_url.text and 'href="/services/facebook#alerts"' in bad_url.text
    no_channel = client.post("/services/facebook/alerts?lang=ar", data={"url": "https://x.example"})
    assert no_channel.status_code == 422 and t["alerts_bad_url"] in no_channel.text
    empty = client.post("/services/facebook/alerts?lang=en", content=b"")
    assert empty.status_code == 400 and i18n.strings("en")["alerts_invalid"] in empty.text
    missing = client.post(
        "/services/nope/alerts", data={"channel": "webhook", "url": "https://x.example"}
    )
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    other_site = client.post(
        "/services/facebook/alerts",
        data={"channel": "webhook", "url": "https://x.example"},
        headers={"origin": "https://elsewhere.example"},
    )
    assert other_site.status_code == 403
