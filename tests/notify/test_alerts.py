from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from notify.samples import incident
from rasd.notify.alerts import AlertPolicy
from rasd.store import open_store

T = datetime(2021, 10, 4, 15, 40, tzinfo=UTC)


def _tell(policy: AlertPolicy, change: str, **kw: Any) -> list[str]:
    return [a.kind for a in policy.on_change(change, incident("facebook", T, **kw))]


def test_open_worsen_and_resolve_are_told_once_each() -> None:
    policy = AlertPolicy()
    assert _tell(policy, "opened", state="opened", level=1) == ["opened"]
    assert _tell(policy, "updated", level=1) == []  # regions joining: pages, not pockets
    assert _tell(policy, "escalated", level=2) == ["escalated"]
    assert _tell(policy, "escalated", level=2) == []  # told already
    assert _tell(policy, "updated", level=1) == []  # easing is not news
    assert _tell(policy, "recovering", state="recovering", level=1) == []
    assert _tell(policy, "resolved", state="resolved", level=1) == ["resolved"]
    assert _tell(policy, "resolved", state="resolved", level=1) == []


def test_each_subscriber_hears_from_their_level_up() -> None:
    policy = AlertPolicy()
    (opened,) = policy.on_change("opened", incident("facebook", T, state="opened", level=1))
    assert opened.kind_for(1) == "opened" and opened.kind_for(2) is None
    (worse,) = policy.on_change("escalated", incident("facebook", T, level=2))
    # the first a "problems detected" subscriber hears is the opening
    assert worse.kind_for(1) == "escalated" and worse.kind_for(2) == "opened"
    (back,) = policy.on_change("resolved", incident("facebook", T, state="resolved", level=1))
    assert back.kind_for(1) == "resolved" and back.kind_for(2) == "resolved"


def test_an_incident_that_stayed_possible_is_never_resolved_to_level_two() -> None:
    policy = AlertPolicy()
    policy.on_change("opened", incident("facebook", T, state="opened", level=1))
    (back,) = policy.on_change("resolved", incident("facebook", T, state="resolved", level=1))
    assert back.kind_for(1) == "resolved" and back.kind_for(2) is None


def test_relapse_after_resolve_is_a_reopen_and_a_new_incident_an_opening() -> None:
    policy = AlertPolicy()
    _tell(policy, "opened", level=2)
    _tell(policy, "resolved", state="resolved", level=2)
    assert _tell(policy, "reopened", level=2) == ["reopened"]
    assert _tell(policy, "resolved", state="resolved", level=2) == ["resolved"]
    assert _tell(policy, "opened", number=2, state="opened", level=2) == ["opened"]


def test_what_was_told_survives_a_restart() -> None:
    store = open_store("sqlite://")
    store.migrate()
    try:
        policy = AlertPolicy(store)
        _tell(policy, "opened", level=2)
        again = AlertPolicy(store)
        assert _tell(again, "escalated", level=2) == []
        assert _tell(again, "resolved", state="resolved", level=2) == ["resolved"]
    finally:
        store.close()
