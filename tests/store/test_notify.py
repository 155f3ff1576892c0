"""Subscriptions, confirmations and deliveries rows, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from rasd.store import Store
from rasd.store.notify import ConfirmationRows, DeliveryRows, SubscriptionRows


def _sub(n: int, *, scope: tuple[str, str] = ("all", ""), active: bool = True) -> dict[str, Any]:
    return {
        "id": f"sub{n}",
        "channel": "webhook",
        "target": f"https://hooks.example/{n % 2}",
        "secret": "whsec_x",
        "scope_kind": scope[0],
        "scope_value": scope[1],
        "min_level": 1,
        "lang": "ar",
        "label": "",
        "created_ms": 1_000 * n,
        "active": active,
    }


def _delivery(sub: str, dedupe: str, next_ms: int = 0, **more: Any) -> dict[str, Any]:
    return {
        "subscription_id": sub,
        "dedupe": dedupe,
        "kind": "opened",
        "service": "whatsapp",
        "incident_id": "inc1",
        "body": "{}",
        "status": "pending",
        "attempts": 0,
        "next_ms": next_ms,
        "created_ms": 0,
        "sent_ms": None,
        "last_error": None,
        **more,
    }


def test_subscriptions_by_state_scope_and_what_they_cover(store: Store) -> None:
    subs, confirmations = SubscriptionRows(store), ConfirmationRows(store)
    subs.add(_sub(1))
    subs.add(_sub(2, scope=("service", "whatsapp")))
    subs.add(_sub(3, scope=("country", "EG")))
    subs.add(_sub(4, scope=("owner", "meta"), active=False))  # waiting for its owner
    subs.add(_sub(5, active=False))  # ended
    store.write(
        lambda tx: confirmations.add_in(
            tx,
            {
                "subscription_id": "sub4",
                "token_hash": "h4",
                "created_ms": 0,
                "expires_ms": 9_000,
                "confirmed_ms": None,
            },
        )
    )
    got = subs.get("sub4")
    assert got is not None and got["confirm_by_ms"] == 9_000 and subs.get("nope") is None
    assert subs.get("sub1") == {**_sub(1), "confirm_by_ms": None}
    rows, total = subs.page(states=["pending"], limit=10, offset=0)
    assert [r["id"] for r in rows] == ["sub4"] and total == 1
    rows, total = subs.page(states=None, limit=2, offset=1)
    assert [r["id"] for r in rows] == ["sub2", "sub3"] and total == 5
    assert subs.page(states=["ended"], limit=10, offset=0)[1] == 1
    found = store.read(
        lambda tx: subs.find_in(tx, target="https://hooks.example/0", states=["active", "pending"])
    )
    assert [r["id"] for r in found] == ["sub2", "sub4"]
    scoped = store.read(
        lambda tx: subs.find_in(
            tx, target="https://hooks.example/1", states=["active"], scope=("country", "EG")
        )
    )
    assert [r["id"] for r in scoped] == ["sub3"]
    assert sorted(r["id"] for r in subs.many(["sub1", "sub3", "sub1", "x"])) == ["sub1", "sub3"]
    covering = subs.active_for(service="whatsapp", owner="meta", countries={"EG"})
    assert [r["id"] for r in covering] == ["sub1", "sub2", "sub3"]
    assert [r["id"] for r in subs.active_for(service="x", owner="y", countries=())] == ["sub1"]
    assert subs.end("sub2") is True and subs.end("sub2") is False
    assert subs.end("sub4") is True  # its confirmation is refused: it can no longer start
    assert subs.page(states=["ended"], limit=10, offset=0)[1] == 3


def test_a_confirmation_starts_its_subscription_and_a_lapsed_one_is_forgotten(
    store: Store,
) -> None:
    subs, confirmations, deliveries = (
        SubscriptionRows(store),
        ConfirmationRows(store),
        DeliveryRows(store),
    )
    for n, expires in ((1, 5_000), (2, 9_000)):
        subs.add(_sub(n, active=False))

        def ask(tx: Any, n: int = n, expires: int = expires) -> None:
            confirmations.add_in(
                tx,
                {
                    "subscription_id": f"sub{n}",
                    "token_hash": f"h{n}",
                    "created_ms": 0,
                    "expires_ms": expires,
                    "confirmed_ms": None,
                },
            )
            deliveries.add_in(tx, [_delivery(f"sub{n}", "confirm")])

        store.write(ask)
    named = store.read(lambda tx: confirmations.by_token_in(tx, "h2"))
    assert named is not None and named["subscription_id"] == "sub2"
    assert store.read(lambda tx: confirmations.by_token_in(tx, "h3")) is None
    store.write(lambda tx: confirmations.confirm_in(tx, "sub2", 4_000))
    active = subs.get("sub2")
    assert active is not None and active["active"] and active["confirm_by_ms"] is None
    assert store.write(lambda tx: confirmations.forget_lapsed_in(tx, 6_000)) == 1
    assert subs.get("sub1") is None
    assert store.read(lambda tx: confirmations.by_token_in(tx, "h1")) is None
    assert [
        d["subscription_id"]
        for d in deliveries.page(status=None, subscription_id=None, limit=10, offset=0)[0]
    ] == ["sub2"]
    assert store.write(lambda tx: confirmations.forget_lapsed_in(tx, 99_000)) == 0


def test_deliveries_once_leased_changed_and_withdrawn(store: Store) -> None:
    deliveries = DeliveryRows(store)
    assert deliveries.add([_delivery("s1", "a", 10), _delivery("s1", "b", 20)]) == 2
    assert deliveries.add([_delivery("s1", "a", 5), _delivery("s2", "a", 30)]) == 1
    assert deliveries.add([]) == 0
    leased = deliveries.lease_due(25, limit=10, until_ms=1_000)
    assert [(d["dedupe"], d["next_ms"]) for d in leased] == [("a", 1_000), ("b", 1_000)]
    assert deliveries.lease_due(25, limit=10, until_ms=2_000) == []  # theirs until then
    first = int(leased[0]["id"])
    deliveries.change(first, {"status": "sent", "attempts": 1, "sent_ms": 26})
    sent = deliveries.get(first)
    assert sent is not None and (sent["status"], sent["sent_ms"]) == ("sent", 26)
    assert deliveries.get(999_999) is None
    assert deliveries.cancel_pending(incident_id="inc1", kind="opened", reason="went on") == {
        "s1",
        "s2",
    }
    assert deliveries.by_status() == {"sent": 1, "cancelled": 2}
    rows, total = deliveries.page(status="cancelled", subscription_id="s2", limit=5, offset=0)
    assert [r["last_error"] for r in rows] == ["went on"] and total == 1
    newest, total = deliveries.page(status=None, subscription_id=None, limit=1, offset=0)
    assert newest[0]["subscription_id"] == "s2" and total == 3
