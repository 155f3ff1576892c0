"""The page an unsubscribe link opens: what it would end, and a button that ends it.

Opening the link changes nothing, for the reason the confirmation page gives (rasd.web.confirm):
mail scanners and link previews open links that nobody followed.
"""

from __future__ import annotations

from typing import Any

from rasd.errors import NotFound
from rasd.notify.notifier import notifier_of
from rasd.runtime import Runtime
from rasd.web.confirm import TOKEN_MAX, described


def show(rt: Runtime, token: str, lang: str) -> tuple[int, dict[str, Any]]:
    """The page for a link as it stands: its status and view."""
    return _answer(rt, token, lang, leaving=False)


def leave(rt: Runtime, token: str, lang: str) -> tuple[int, dict[str, Any]]:
    """End the subscription a link names: the answer page's status and view."""
    return _answer(rt, token, lang, leaving=True)


def _answer(rt: Runtime, token: str, lang: str, *, leaving: bool) -> tuple[int, dict[str, Any]]:
    view: dict[str, Any] = {"page": "unsubscribe", "lang": lang, "now": rt.clock.now().isoformat()}
    notifier = notifier_of(rt)
    subscription_id = notifier.links.subscription_of(token) if len(token) <= TOKEN_MAX else None
    if subscription_id is None:
        return 404, {**view, "state": "unknown"}
    try:
        sub = notifier.subscriptions.get(subscription_id)
        if leaving:
            state = "done" if notifier.subscriptions.deactivate(subscription_id) else "before"
        else:
            state = "before" if sub.state == "ended" else "ask"
    except NotFound as exc:
        return exc.status, {**view, "state": "unknown"}
    return 200, {**view, "state": state, "subscription": described(rt, sub, lang)}
