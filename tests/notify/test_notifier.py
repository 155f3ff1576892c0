from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import T0
from fastapi.testclient import TestClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from notify.receiver import receiver, signed_by
from notify.samples import incident
from rasd.clock import VirtualClock
from rasd.notify.alerts import MessageKind
from rasd.notify.notifier import Notifier, notifier_of
from rasd.notify.outbox import BACKOFF_MINUTES
from rasd.notify.signing import standard_headers
from rasd.runtime import Runtime
from rasd.series import REPORTS, WORLD, SeriesKey


def _admin(runtime: Runtime) -> dict[str, str]:
    token, _ = runtime.tokens.create("admin", "tests")
    return {"Authorization": f"Bearer {token}"}


def _subscribe(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/subscriptions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _tell(notifier: Notifier, change: str, **kw: Any) -> None:
    notifier.listen("incident", {"change": change, "incident": incident("facebook", T0, **kw)})


async def test_a_webhook_is_signed_and_apprise_delivers_to_a_real_endpoint(
    client: TestClient, runtime: Runtime
) -> None:
    admin = _admin(runtime)
    with receiver() as hook:
        host = urlsplit(hook.url).netloc
        made = _subscribe(
            client, admin, channel="webhook", url=hook.url + "/hook", service="facebook"
        )
        _subscribe(
            client, admin, channel="apprise", url=f"json://{host}/apprise", owner="meta", lang="ar"
        )
        notifier = notifier_of(runtime)
        _tell(notifier, "opened", state="opened", level=2)
        assert await notifier.deliver_due() == 2
        await notifier.close()
        by_path = {r.path: r for r in hook.received}
    webhook = by_path["/hook"]
    # verified as any receiver would, with a Standard Webhooks library and the secret alone
    verified = Webhook(made["secret"]).verify(webhook.body, dict(webhook.headers))
    assert verified["id"] == webhook.headers["webhook-id"]
    assert made["secret"].startswith("whsec_") and base64.b64decode(made["secret"][6:])
    tampered = webhook.body.replace(b"facebook", b"fakebook")
    with pytest.raises(WebhookVerificationError):
        Webhook(made["secret"]).verify(tampered, dict(webhook.headers))
    # the deprecated signature still comes for one release
    assert signed_by(made["secret"], webhook)
    assert not signed_by(made["secret"] + "x", webhook)
    assert abs(int(webhook.headers["x-rasd-timestamp"]) - time.time()) < 3600
    message = json.loads(webhook.body)
    assert message["type"] == "incident.opened"
    assert message["service"]["id"] == "facebook"
    assert message["incident"]["id"] == "facebook-1"
    assert message["level_name"] == "problems_detected"
    assert set(message["title"]) == {"en", "ar"} and "Facebook" in message["title"]["en"]
    assert webhook.headers["x-rasd-event"] == "incident.opened"
    # apprise's JSON notification, in the subscriber's language, with the unsubscribe link
    sent = json.loads(by_path["/apprise"].body)
    assert "رُصدت مشكلات" in sent["title"]
    assert "/api/v1/unsubscribe?token=" in sent["message"]
    assert notifier.stats[("webhook", "sent")] == 1 and notifier.stats[("apprise", "sent")] == 1


async def test_failures_back_off_then_die_and_an_admin_replays_them(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    admin = _admin(runtime)
    with receiver() as hook:
        hook.statuses = [503] * (len(BACKOFF_MINUTES) + 1)
        _subscribe(client, admin, channel="webhook", url=hook.url)
        notifier = notifier_of(runtime)
        _tell(notifier, "opened", level=2)
        assert await notifier.deliver_due() == 1
        for wait in BACKOFF_MINUTES:
            assert await notifier.deliver_due() == 0  # not due before its backoff
            clock.advance(timedelta(minutes=wait))
            assert await notifier.deliver_due() == 1
        assert len(hook.received) == len(BACKOFF_MINUTES) + 1
        dead = client.get("/api/v1/admin/deliveries?status=dead", headers=admin).json()
        assert dead["total"] == 1
        (letter,) = dead["deliveries"]
        assert letter["attempts"] == len(BACKOFF_MINUTES) + 1
        assert letter["last_error"] == "HTTP 503"
        replayed = client.post(f"/api/v1/admin/deliveries/{letter['id']}/replay", headers=admin)
        assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
        assert await notifier.deliver_due() == 1
        await notifier.close()
    assert len(hook.received) == len(BACKOFF_MINUTES) + 2
    done = client.get(
        f"/api/v1/admin/deliveries?subscription={letter['subscription']}", headers=admin
    ).json()
    assert [d["status"] for d in done["deliveries"]] == ["sent"]
    assert notifier.stats[("webhook", "dead")] == 1
    assert notifier.stats[("webhook", "failed")] == len(BACKOFF_MINUTES) + 1


async def test_the_unsubscribe_link_of_a_message_ends_the_subscription(
    client: TestClient, runtime: Runtime
) -> None:
    admin = _admin(runtime)
    with receiver() as hook:
        _subscribe(client, admin, channel="webhook", url=hook.url)
        notifier = notifier_of(runtime)
        _tell(notifier, "opened", level=1)
        await notifier.deliver_due()
        link = urlsplit(json.loads(hook.received[0].body)["links"]["unsubscribe"])
        forged = link.query[:-2] + ("AA" if not link.query.endswith("AA") else "BB")
        assert client.get(f"{link.path}?{forged}").status_code == 404
        left = client.post(f"{link.path}?{link.query}")
        assert left.status_code == 200 and left.json()["unsubscribed"] is True
        assert set(left.json()["message"]) == {"en", "ar"}
        # leaving twice is fine; and nothing more arrives
        assert client.post(f"{link.path}?{link.query}").json()["unsubscribed"] is False
        _tell(notifier, "escalated", level=2)
        assert await notifier.deliver_due() == 0
        await notifier.close()
    assert len(hook.received) == 1


async def test_a_flapping_service_makes_one_down_and_one_back(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    admin = _admin(runtime)
    with receiver() as hook:
        _subscribe(client, admin, channel="webhook", url=hook.url)
        notifier = notifier_of(runtime)
        _tell(notifier, "opened", level=2)
        for _ in range(5):
            clock.advance(timedelta(minutes=3))
            _tell(notifier, "resolved", state="resolved", level=2)
            await notifier.deliver_due()
            clock.advance(timedelta(minutes=3))
            _tell(notifier, "reopened", level=2)
            await notifier.deliver_due()
        _tell(notifier, "resolved", state="resolved", level=2)
        clock.advance(notifier.resolve_settle)
        await notifier.deliver_due()
        await notifier.close()
    kinds = [json.loads(r.body)["type"] for r in hook.received]
    assert kinds == ["incident.opened", "incident.resolved"]


async def test_a_resolve_already_sent_is_followed_by_a_reopen(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    admin = _admin(runtime)
    with receiver() as hook:
        _subscribe(client, admin, channel="webhook", url=hook.url, min_level="problems_detected")
        notifier = notifier_of(runtime)
        _tell(notifier, "opened", state="opened", level=1)  # below this subscriber's level
        _tell(notifier, "escalated", level=2)
        _tell(notifier, "resolved", state="resolved", level=2)
        clock.advance(notifier.resolve_settle)
        await notifier.deliver_due()
        _tell(notifier, "reopened", level=2)
        await notifier.deliver_due()
        await notifier.close()
    kinds = [json.loads(r.body)["type"] for r in hook.received]
    assert kinds == ["incident.opened", "incident.resolved", "incident.reopened"]


def test_the_resolved_alert_says_the_impact_in_one_line(runtime: Runtime) -> None:
    first = int(T0.timestamp()) // 60
    runtime.store.add_counts(
        {(SeriesKey("facebook", REPORTS, WORLD), first + i): 1_000 for i in range(30)}
    )
    notifier = notifier_of(runtime)
    sub = notifier.subscriptions.new(channel="webhook", target="http://rasd.test/hook")
    done = incident("facebook", T0, state="resolved", minutes=30)
    message = notifier.message(sub, MessageKind.RESOLVED, "facebook", done, 2, None, dedupe="r")
    assert message["impact"]["reports"] == 30_000
    assert message["text"]["en"].endswith("could not use Facebook for 30 min.")
    assert message["text"]["ar"].endswith("مدة ٣٠ دقيقة.")
    opened = notifier.message(sub, MessageKind.OPENED, "facebook", done, 2, None, dedupe="o")
    assert opened["impact"] is not None and "could not use" not in opened["text"]["en"]


def test_a_secret_made_before_the_standard_form_still_signs_verifiably() -> None:
    """Secrets were once URL-safe base64; the specification's libraries read them as Rasd does."""
    old_secret = "whsec_" + "Ab-_" * 10 + "xyz"
    body = b'{"id":"s:1"}'
    headers = standard_headers(old_secret, "s:1", int(time.time()), body)
    assert Webhook(old_secret).verify(body, headers) == {"id": "s:1"}
