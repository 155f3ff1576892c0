"""The page a confirmation link opens, and its button, as a browser without a script uses them."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient

from rasd.runtime import Runtime
from rasd.web import i18n
from web.links import SAME_SITE, asked, form_action, shows_meta_in_both_languages, state


async def _asked(client: TestClient, runtime: Runtime, **body: Any) -> tuple[str, str]:
    """Ask for alerts to a receiver of this test: the confirmation link and the subscription."""
    links, sub = await asked(client, runtime, **body)
    return links["confirm"], sub


async def test_the_page_says_what_would_be_confirmed_in_the_visitors_language(
    client: TestClient, runtime: Runtime
) -> None:
    link, sub = await _asked(client, runtime, channel="webhook", owner="meta")
    shows_meta_in_both_languages(client, link, "confirm_button", "/alerts/confirm")
    assert state(runtime, sub) == "pending"


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
    assert state(runtime, sub) == "pending"


async def test_the_button_confirms_from_this_site_and_not_from_another(
    client: TestClient, runtime: Runtime
) -> None:
    link, sub = await _asked(client, runtime, channel="webhook", service="facebook", lang="ar")
    action = form_action(client.get(link + "&lang=ar").text)
    elsewhere = client.post(action, headers={"origin": "https://elsewhere.example"})
    assert elsewhere.status_code == 403
    assert state(runtime, sub) == "pending"
    # a form without fields posts an empty form body
    form = {**SAME_SITE, "content-type": "application/x-www-form-urlencoded"}
    done = client.post(action, content=b"", headers=form)
    assert done.status_code == 200 and done.headers["content-type"].startswith("text/html")
    assert done.headers["cache-control"] == "no-store"
    assert 'dir="rtl"' in done.text and i18n.strings("ar")["confirm_done"] in done.text
    assert state(runtime, sub) == "active"
    again = client.post(action, content=b"", headers=form)
    assert again.status_code == 200 and i18n.strings("ar")["confirm_before"] in again.text
    assert state(runtime, sub) == "active"


def test_an_unknown_link_gets_a_page_that_says_so(client: TestClient) -> None:
    t = i18n.strings("en")
    for token in ("A" * 43, "", "x" * 201):
        page = client.get("/api/v1/subscribe/confirm", params={"token": token, "lang": "en"})
        assert page.status_code == 404 and t["confirm_unknown"] in page.text
        assert 'method="post"' not in page.text
    pressed = client.post("/alerts/confirm?token=" + "A" * 43 + "&lang=en", headers=SAME_SITE)
    assert pressed.status_code == 404 and t["confirm_unknown"] in pressed.text
