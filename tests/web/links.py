"""What the tests of the pages a message's links open share: asking for alerts, reading a page."""

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


async def asked(client: TestClient, runtime: Runtime, **body: Any) -> tuple[dict[str, str], str]:
    """Ask for alerts to a receiver of this test: the links of the message that asks to confirm
    (path and query, by name), and the subscription."""
    with receiver() as hook:
        answer = client.post("/api/v1/subscribe", json={"url": hook.url + "/private/path", **body})
        assert answer.status_code == 202, answer.text
        notifier = notifier_of(runtime)
        assert await notifier.deliver_due() == 1
        await notifier.close()
    links = {k: urlsplit(v) for k, v in json.loads(hook.received[0].body)["links"].items()}
    return {k: f"{v.path}?{v.query}" for k, v in links.items()}, answer.json()["subscription"]["id"]


def state(runtime: Runtime, subscription_id: str) -> str:
    return notifier_of(runtime).subscriptions.get(subscription_id).state


def form_action(page: str) -> str:
    """Where the page's button posts."""
    found = re.search(r'<form method="post" action="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def shows_meta_in_both_languages(client: TestClient, link: str, button: str, form: str) -> None:
    """A link asked for alerts about Meta's services: its page in English and in Arabic, with
    `button` (a string's name) posting to `form`, and the target masked."""
    english = client.get(link, headers={"accept-language": "en-GB,en;q=0.9"})
    arabic = client.get(link, headers={"accept-language": "ar-EG,ar;q=0.9"})
    for lang, page in (("en", english), ("ar", arabic)):
        t = i18n.strings(lang)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert f'lang="{lang}"' in page.text and t[button] in page.text
        assert t["confirm_channel_webhook"] in page.text and "http://127.0.0.1/…" in page.text
        # the target is shown masked: its path may hold a secret
        assert "/private/path" not in page.text
        assert form_action(page.text).startswith(form + "?")
        assert form_action(page.text).endswith(f"&lang={lang}")
        # the button is a plain form: nothing runs inline, which the policy would forbid
        assert "script-src 'self'" in page.headers["content-security-policy"]
        for tag in re.findall(r"<script[^>]*>", page.text):
            assert "src=" in tag or 'type="application/json"' in tag, tag
    assert 'dir="rtl"' in arabic.text and "خدمات ميتا" in arabic.text
    assert 'dir="ltr"' in english.text and "The services of Meta" in english.text
