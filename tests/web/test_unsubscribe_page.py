"""The page an unsubscribe link opens, and its button, as a browser without a script uses them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from rasd.runtime import Runtime
from rasd.web import i18n
from web.links import SAME_SITE, asked, form_action, shows_meta_in_both_languages, state

FORM = {**SAME_SITE, "content-type": "application/x-www-form-urlencoded"}


async def _subscribed(
    client: TestClient, runtime: Runtime, *, confirm: bool = True, **body: Any
) -> tuple[str, str]:
    """Alerts to a receiver of this test, confirmed unless told not: the unsubscribe link of the
    message that asked, and the subscription."""
    links, sub = await asked(client, runtime, **body)
    if confirm:
        assert client.post(links["confirm"]).status_code == 200
    return links["unsubscribe"], sub


async def test_opening_the_link_twice_ends_nothing_and_says_what_would_end(
    client: TestClient, runtime: Runtime
) -> None:
    link, sub = await _subscribed(client, runtime, channel="webhook", owner="meta")
    shows_meta_in_both_languages(client, link, "unsubscribe_button", "/alerts/unsubscribe")
    assert state(runtime, sub) == "active"


async def test_the_button_ends_it_from_this_site_and_not_from_another(
    client: TestClient, runtime: Runtime
) -> None:
    link, sub = await _subscribed(client, runtime, channel="webhook", service="facebook")
    action = form_action(client.get(link + "&lang=ar").text)
    elsewhere = client.post(action, headers={"origin": "https://elsewhere.example"})
    assert elsewhere.status_code == 403 and state(runtime, sub) == "active"
    done = client.post(action, content=b"", headers=FORM)
    assert done.status_code == 200 and done.headers["content-type"].startswith("text/html")
    assert done.headers["cache-control"] == "no-store"
    assert 'dir="rtl"' in done.text and i18n.strings("ar")["unsubscribe_done"] in done.text
    assert state(runtime, sub) == "ended"
    again = client.post(action, content=b"", headers=FORM)
    assert again.status_code == 200 and i18n.strings("ar")["unsubscribe_before"] in again.text
    # the link's page now says it was stopped, and offers no button
    shown = client.get(link + "&lang=en")
    assert i18n.strings("en")["unsubscribe_before"] in shown.text
    assert 'method="post"' not in shown.text


async def test_opening_the_link_of_a_request_does_not_refuse_it(
    client: TestClient, runtime: Runtime
) -> None:
    link, sub = await _subscribed(client, runtime, confirm=False, channel="webhook", country="EG")
    assert client.get(link).status_code == 200 and client.get(link).status_code == 200
    assert state(runtime, sub) == "pending"
    left = client.post(link)
    assert left.status_code == 200 and left.json()["unsubscribed"] is True
    assert state(runtime, sub) == "ended"


def test_an_unknown_link_gets_a_page_on_get_and_the_error_shape_on_post(
    client: TestClient,
) -> None:
    t = i18n.strings("en")
    for token in ("A" * 43, "", "x" * 201):
        page = client.get("/api/v1/unsubscribe", params={"token": token, "lang": "en"})
        assert page.status_code == 404 and t["unsubscribe_unknown"] in page.text
        assert 'method="post"' not in page.text
    pressed = client.post("/alerts/unsubscribe?token=" + "A" * 43 + "&lang=en", headers=FORM)
    assert pressed.status_code == 404 and t["unsubscribe_unknown"] in pressed.text
    api = client.post("/api/v1/unsubscribe", params={"token": "A" * 43})
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/")
    assert "token" in api.text
