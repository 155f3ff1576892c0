"""People subscribe themselves: one confirmation message through the channel, then alerts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import T0
from fastapi.testclient import TestClient
from notify.receiver import receiver, signed_by
from notify.samples import incident
from tests_support import assert_error_shape

from rasd.assembly import build_runtime
from rasd.clock import VirtualClock
from rasd.notify.notifier import Notifier, notifier_of
from rasd.runtime import Runtime
from rasd.settings import Settings
from rasd.shell.app import create_app

ROUTE = "/api/v1/subscribe"


def _admin(runtime: Runtime) -> dict[str, str]:
    token, _ = runtime.tokens.create("admin", "tests")
    return {"Authorization": f"Bearer {token}"}


def _ask(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(ROUTE, json=body)
    assert response.status_code == 202, response.text
    return dict(response.json())


def _tell(notifier: Notifier, change: str, **kw: Any) -> None:
    notifier.listen("incident", {"change": change, "incident": incident("facebook", T0, **kw)})


def _link(message: dict[str, Any], name: str) -> str:
    parts = urlsplit(message["links"][name])
    return f"{parts.path}?{parts.query}"


def _every(client: TestClient, admin: dict[str, str]) -> dict[str, Any]:
    """Every subscription, whatever its state, as the admin API lists them."""
    pages = [
        client.get("/api/v1/subscriptions", params={"active": active}, headers=admin).json()
        for active in ("true", "false")
    ]
    subs = [s for page in pages for s in page["subscriptions"]]
    return {"subscriptions": subs, "total": sum(page["total"] for page in pages)}


async def test_a_webhook_is_confirmed_from_its_own_endpoint_and_only_then_gets_alerts(
    client: TestClient, runtime: Runtime
) -> None:
    admin = _admin(runtime)
    with receiver() as hook:
        asked = _ask(client, channel="webhook", url=hook.url + "/hook", service="facebook")
        assert asked["created"] is True and asked["subscription"]["state"] == "pending"
        assert asked["subscription"]["active"] is False and asked["subscription"]["confirm_by"]
        assert set(asked["message"]) == {"en", "ar"}
        # whoever asks never learns the signing secret: only the endpoint's owner does
        assert "whsec_" not in json.dumps(asked)
        notifier = notifier_of(runtime)
        _tell(notifier, "opened", state="opened", level=2)
        assert await notifier.deliver_due() == 1  # the confirmation, and no alert
        (confirmation,) = hook.received
        message = json.loads(confirmation.body)
        assert message["type"] == "subscription.confirm"
        assert confirmation.headers["x-rasd-event"] == "subscription.confirm"
        secret = message["subscription"]["secret"]
        assert secret.startswith("whsec_") and signed_by(secret, confirmation)
        assert message["links"]["confirm"] in message["text"]["en"]
        assert message["links"]["confirm"] in message["text"]["ar"]
        assert message["subscription"]["scope"] == {"kind": "service", "value": "facebook"}

        # opening the link only shows a page; the POST a person or a program makes confirms
        shown = client.get(_link(message, "confirm"))
        assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/html")
        confirmed = client.post(_link(message, "confirm"))
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["confirmed"] is True
        assert confirmed.json()["subscription"]["state"] == "active"
        again = client.post(_link(message, "confirm")).json()
        assert again["confirmed"] is False and set(again["message"]) == {"en", "ar"}

        _tell(notifier, "opened", state="opened", level=2, number=2)
        assert await notifier.deliver_due() == 1
        await notifier.close()
        alert = hook.received[1]
    assert signed_by(secret, alert)
    body = json.loads(alert.body)
    assert body["type"] == "incident.opened" and body["incident"]["id"] == "facebook-2"
    sent = client.get("/api/v1/admin/deliveries", headers=admin).json()["deliveries"]
    assert sorted(d["kind"] for d in sent) == ["confirm", "opened"]


async def test_opening_the_link_changes_nothing_and_only_a_post_confirms(
    client: TestClient, runtime: Runtime
) -> None:
    admin = _admin(runtime)
    with receiver() as hook:
        asked = _ask(client, channel="webhook", url=hook.url + "/scanned", owner="meta")
        notifier = notifier_of(runtime)
        assert await notifier.deliver_due() == 1
        await notifier.close()
    link = _link(json.loads(hook.received[0].body), "confirm")
    own = f"/api/v1/subscriptions/{asked['subscription']['id']}"
    # a mail scanner, a link preview, then the person: each only looks
    for _ in range(2):
        shown = client.get(link)
        assert shown.status_code == 200 and 'method="post"' in shown.text
        assert shown.headers["cache-control"] == "no-store"
        assert client.get(own, headers=admin).json()["state"] == "pending"
    confirmed = client.post(link)
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    assert client.get(own, headers=admin).json()["state"] == "active"
    # once followed, the page says so and offers nothing more to press
    after = client.get(link)
    assert after.status_code == 200 and "followed before" in after.text
    assert 'method="post"' not in after.text


async def test_apprise_asks_in_the_subscribers_language_and_its_unsubscribe_link_works(
    client: TestClient, runtime: Runtime
) -> None:
    admin = _admin(runtime)
    with receiver() as hook:
        target = f"json://{urlsplit(hook.url).netloc}/apprise"
        _ask(client, channel="apprise", url=target, owner="meta", lang="ar")
        notifier = notifier_of(runtime)
        assert await notifier.deliver_due() == 1
        sent = json.loads(hook.received[0].body)
        assert "ميتا" in sent["title"]
        confirm = next(w for w in sent["message"].split() if "/subscribe/confirm?" in w)
        leave = next(w for w in sent["message"].split() if "/unsubscribe?" in w)
        made = client.post(_link({"links": {"c": confirm}}, "c")).json()
        assert made["subscription"]["state"] == "active"
        _tell(notifier, "opened", level=2)
        assert await notifier.deliver_due() == 1
        assert "/unsubscribe?" in json.loads(hook.received[1].body)["message"]
        left = client.post(_link({"links": {"u": leave}}, "u"))
        assert left.status_code == 200 and left.json()["unsubscribed"] is True
        _tell(notifier, "escalated", level=2, number=3)
        assert await notifier.deliver_due() == 0
        await notifier.close()
    assert len(hook.received) == 2
    assert _every(client, admin)["subscriptions"][0]["state"] == "ended"


async def test_refusing_from_the_confirmation_message_ends_the_request(
    client: TestClient, runtime: Runtime
) -> None:
    with receiver() as hook:
        _ask(client, channel="webhook", url=hook.url, country="EG")
        notifier = notifier_of(runtime)
        await notifier.deliver_due()
        message = json.loads(hook.received[0].body)
        assert client.post(_link(message, "unsubscribe")).json()["unsubscribed"] is True
        assert client.get(_link(message, "confirm")).status_code == 404
        refused = client.post(_link(message, "confirm"))
        assert refused.status_code == 404 and assert_error_shape(refused.json())
        _tell(notifier, "opened", level=2)
        assert await notifier.deliver_due() == 0
        await notifier.close()
    # the same URL may ask again: what was refused does not count as waiting
    assert _ask(client, channel="webhook", url=hook.url, country="EG")["created"] is True


async def test_a_lapsed_link_is_refused_and_the_request_forgotten(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    admin = _admin(runtime)
    with receiver() as hook:
        first = _ask(client, channel="webhook", url=hook.url, service="whatsapp")
        notifier = notifier_of(runtime)
        await notifier.deliver_due()
        await notifier.close()
    message = json.loads(hook.received[0].body)
    forged = client.post("/api/v1/subscribe/confirm?token=" + "A" * 43)
    assert forged.status_code == 404
    assert assert_error_shape(forged.json())["details"][0]["reason"] == "unknown"
    clock.advance(timedelta(hours=48, seconds=1))
    # a person who opens the lapsed link is told so on a page, a program in the error shape
    page = client.get(_link(message, "confirm"))
    assert page.status_code == 404 and "has lapsed" in page.text
    late = client.post(_link(message, "confirm"))
    assert late.status_code == 404
    assert assert_error_shape(late.json())["details"][0]["reason"] == "expired"
    # the next request purges it, with its message; the same URL may ask again
    again = _ask(client, channel="webhook", url=hook.url, service="whatsapp")
    assert again["created"] is True
    every = _every(client, admin)
    assert [s["id"] for s in every["subscriptions"]] == [again["subscription"]["id"]]
    old = first["subscription"]["id"]
    assert client.get(f"/api/v1/subscriptions/{old}", headers=admin).status_code == 404
    kept = client.get("/api/v1/admin/deliveries", headers=admin).json()["deliveries"]
    assert [d["subscription"] for d in kept] == [again["subscription"]["id"]]


async def test_the_sending_loop_forgets_lapsed_requests(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    admin = _admin(runtime)
    _ask(client, channel="webhook", url="https://hooks.example.org/lapsing")
    waiting = client.get("/api/v1/subscriptions?state=pending", headers=admin).json()
    assert waiting["total"] == 1
    clock.advance(timedelta(hours=49))
    notifier = notifier_of(runtime)
    stop = asyncio.Event()
    sending = asyncio.create_task(notifier.run(stop, every=0.01))
    for _ in range(1000):  # a bound, so a loop that never purges fails instead of hanging
        if not notifier.subscriptions.page(states=["pending"])[1]:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await sending
    await notifier.close()
    assert _every(client, admin)["total"] == 0
    assert client.get("/api/v1/admin/deliveries", headers=admin).json()["total"] == 0


def test_asking_again_makes_no_duplicate_and_one_url_has_few_waiting(
    client: TestClient, runtime: Runtime
) -> None:
    admin = _admin(runtime)
    url = "https://hooks.example.org/rasd"
    first = _ask(client, channel="webhook", url=url, service="facebook")
    second = _ask(
        client, channel="webhook", url=url, service="facebook", min_level="problems_detected"
    )
    assert second["created"] is False
    assert second["subscription"]["id"] == first["subscription"]["id"]
    assert second["subscription"]["state"] == "pending"
    _ask(client, channel="webhook", url=url, service="instagram")
    _ask(client, channel="webhook", url=url)
    full = client.post(ROUTE, json={"channel": "webhook", "url": url, "owner": "meta"})
    assert full.status_code == 429 and int(full.headers["retry-after"]) > 3600
    error = assert_error_shape(full.json())
    assert error["code"] == "rate_limited" and error["details"][0]["field"] == "url"
    assert _every(client, admin)["total"] == 3
    deliveries = client.get("/api/v1/admin/deliveries", headers=admin).json()
    assert deliveries["total"] == 3  # one confirmation each, none for the duplicate
    pending = client.get("/api/v1/subscriptions?state=pending", headers=admin).json()
    assert pending["total"] == 3
    assert client.get("/api/v1/subscriptions", headers=admin).json()["total"] == 0
    # another URL has room of its own
    assert _ask(client, channel="webhook", url=url + "/other", owner="meta")["created"] is True


def test_bad_requests_get_the_error_shape_and_store_nothing(
    client: TestClient, runtime: Runtime
) -> None:
    admin = _admin(runtime)
    good = {"channel": "webhook", "url": "https://hooks.example.org/rasd", "service": "facebook"}
    bad = [
        ({**good, "channel": "sms"}, "channel"),
        ({**good, "url": "ftp://hooks.example.org/"}, "url"),
        ({**good, "url": "https://[hooks.example.org/"}, "url"),
        ({**good, "channel": "apprise", "url": "notaurl://x"}, "url"),
        ({**good, "url": ""}, "url"),
        ({**good, "url": "https://x.example/" + "a" * 2000}, "url"),
        ({**good, "service": "nope"}, "service"),
        ({**good, "service": None, "owner": "nobody"}, "owner"),
        ({**good, "service": None, "country": "ZZ"}, "country"),
        ({**good, "owner": "meta"}, "owner"),
        ({**good, "min_level": "everything"}, "min_level"),
        ({**good, "lang": "fr"}, "lang"),
        ({**good, "label": "admins only"}, "label"),
        ({"channel": "webhook"}, "url"),
    ]
    for body, field in bad:
        response = client.post(ROUTE, json=body)
        assert response.status_code == 422, (body, response.text)
        error = assert_error_shape(response.json())
        assert error["code"] == "invalid_input"
        assert field in {d["field"] for d in error["details"]}, (body, error)
    broken = client.post(ROUTE, content=b"{", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and assert_error_shape(broken.json())
    assert _every(client, admin)["total"] == 0
    assert client.get("/api/v1/admin/deliveries", headers=admin).json()["total"] == 0
    for token in ("", "x" * 201):
        response = client.post("/api/v1/subscribe/confirm", params={"token": token})
        assert response.status_code == 422 and assert_error_shape(response.json())


@pytest.fixture
def proxied(clock: VirtualClock) -> Iterator[TestClient]:
    # behind a proxy that names the client, so the test can speak from several networks
    settings = Settings(
        store_url="sqlite:///:memory:", subscribe_per_hour=3, trusted_proxies=["testclient"]
    )
    runtime = build_runtime(settings, clock=clock)
    with TestClient(create_app(runtime)) as c:
        yield c
    runtime.store.close()


def test_asking_is_limited_per_client_network(proxied: TestClient, clock: VirtualClock) -> None:
    def ask(address: str, n: int) -> int:
        body = {"channel": "webhook", "url": f"https://hooks.example.org/{address}/{n}"}
        return proxied.post(ROUTE, json=body, headers={"X-Forwarded-For": address}).status_code

    # two addresses of one /24 share its allowance; another network has its own
    assert [ask("198.51.100.7", 1), ask("198.51.100.8", 2), ask("198.51.100.7", 3)] == [202] * 3
    refused = proxied.post(
        ROUTE,
        json={"channel": "webhook", "url": "https://hooks.example.org/4"},
        headers={"X-Forwarded-For": "198.51.100.9"},
    )
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert assert_error_shape(refused.json())["code"] == "rate_limited"
    assert ask("203.0.113.5", 5) == 202
    clock.advance(timedelta(hours=1))
    assert ask("198.51.100.7", 6) == 202
