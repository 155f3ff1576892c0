"""The page a confirmation link opens, and its button, as a browser without a script uses them."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from notify.receiver import receiver

from rasd.notify.notifier import notifier_of
from rasd.runtime import Runtime
from rasd.web import i18n

# what a browser says when it posts a form of this site
SAME_SITE = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}


async def _asked(client: TestClient, runtime: Runtime, **body: Any) -> tuple[str, str]:
    """Ask for alerts to a receiver of this test: the confirmation link and the subscription."""
    with receiver() as hook:
        answer = client.post("/api/v1/subscribe", json={"url": hook.url + "/private/path", **body})
        assert answer.status_code == 202, answer.text
        notifier = notifier_of(runtime)
        assert await notifier.deliver_due() == 1
        await notifier.close()
    link = urlsplit(json.loads(hook.received[0].body)["links"]["confirm"])
    return f"{link.path}?{link.query}", answer.json()["subscription"]["id"]


def _state(runtime: Runtime, subscription_id: str) -> str:
    return notifier_of(runtime).subscriptions.get(subscription_id).state


def _action(page: str) -> str:
    found = re.search(r'<form method="post" action="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


async def test_the_page_says_what_would_be_confirmed_in_the_visitors_language(
    client: TestClient, runtime: Runtime
) -> None:
    link, sub = await _asked(client, runtime, channel="webhook", owner="meta")
    english = client.get(link, headers={"accept-language": "en-GB,en;q=0.9"})
    arabic = client.get(link, headers={"accept-language": "ar-EG,ar;q=0.9"})
    for lang, page in (("en", english), ("ar", arabic)):
        t = i18n.strings(lang)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert f'lang="{lang}"' in page.text and t["confirm_button"] in page.text
        assert t["confirm_channel_webhook"] in page.text and "http://127.0.0.1/…" in page.text
        # the target is shown masked: its path may hold a secret
        assert "/private/path" not in page.text
        assert _action(page.text).endswith(f"&lang={lang}")
        # the button is a plain form: nothing runs inline, which the policy would forbid
        assert "script-src 'self'" in page.headers["content-security-policy"]
        for tag in re.findall(r"<script[^>]*>", page.text):
            assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'dir="rtl"' in arabic.text and "خدمات ميتا" in arabic.text
    assert 'dir="ltr"' in english.text and "The services of Meta" in english.text
    assert _state(runtime, sub) == "pending"


async def test_the_language_switch_comes_back_to_the_same_link(
    client: TestClient, runtime: Runtime
) -> None:
    link, sub = await _asked(client, runtime, channel="webhook", country="EG")
    page = client.get(link + "&lang=en").text
    switch = re.search(r'href="(/lang/ar\?next=[^"]+)"', page)
    assert switch and "The services used in Egypt" in page
    switched = client.get(html.unescape(switch.group(1)))
    assert switched.status_code == 200 and 'dir="rtl"' in switched.text
    assert str(switched.url).endswith(link)
    assert i18n.strings("ar")["confirm_button"] in switched.text
    assert _state(runtime, sub) == "pending"


async def test_the_button_confirms_from_this_site_and_not_from_another(
    client: TestClient, runtime: Runtime
) -> None:
    link, sub = await _asked(client, runtime, channel="webhook", service="facebook", lang="ar")
    action = _action(client.get(link + "&lang=ar").text)
    elsewhere = client.post(action, headers={"origin": "https://elsewhere.example"})
    assert elsewhere.status_code == 403
    assert _state(runtime, sub) == "pending"
    # a form without fields posts an empty form body
    form = {**SAME_SITE, "content-type": "application/x-www-form-urlencoded"}
    done = client.post(action, content=b"", headers=form)
    assert done.status_code == 200 and done.headers["content-type"].startswith("text/html")
    assert done.headers["cache-control"] == "no-store"
    assert 'dir="rtl"' in done.text and i18n.strings("ar")["confirm_done"] in done.text
    assert _state(runtime, sub) == "active"
    again = client.post(action, content=b"", headers=form)
    assert again.status_code == 200 and i18n.strings("ar")["confirm_before"] in again.text
    assert _state(runtime, sub) == "active"


def test_an_unknown_link_gets_a_page_that_says_so(client: TestClient) -> None:
    t = i18n.strings("en")
    for token in ("A" * 43, "", "x" * 201):
        page = client.get("/api/v1/subscribe/confirm", params={"token": token, "lang": "en"})
        assert page.status_code == 404 and t["confirm_unknown"] in page.text
        assert 'method="post"' not in page.text
    pressed = client.post("/alerts/confirm?token=" + "A" * 43 + "&lang=en", headers=SAME_SITE)
    assert pressed.status_code == 404 and t["confirm_unknown"] in pressed.text
