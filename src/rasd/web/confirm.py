"""The page a confirmation link opens: what it would confirm, and a button that confirms it.

Opening the link changes nothing, because mail scanners and link previews open links that
nobody followed; only the page's form post (or a program's POST to the link) confirms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasd.errors import NotFound
from rasd.notify.notifier import notifier_of
from rasd.notify.subscriptions import Subscription, masked
from rasd.runtime import Runtime
from rasd.web import i18n

# the longest token a link carries; longer ones are simply not found
TOKEN_MAX = 200

# (runtime, token, language) -> the page's status and view
Answer = Callable[[Runtime, str, str], tuple[int, dict[str, Any]]]


def show(rt: Runtime, token: str, lang: str) -> tuple[int, dict[str, Any]]:
    """The page for a link as it stands: its status and view."""
    return _answer(rt, token, lang, confirming=False)


def confirm(rt: Runtime, token: str, lang: str) -> tuple[int, dict[str, Any]]:
    """Confirm the subscription a link names: the answer page's status and view."""
    return _answer(rt, token, lang, confirming=True)


def _answer(rt: Runtime, token: str, lang: str, *, confirming: bool) -> tuple[int, dict[str, Any]]:
    view: dict[str, Any] = {"page": "confirm", "lang": lang, "now": rt.clock.now().isoformat()}
    if not 0 < len(token) <= TOKEN_MAX:
        return 404, {**view, "state": "unknown"}
    confirmations = notifier_of(rt).confirmations
    try:
        if confirming:
            sub, fresh = confirmations.confirm(token)
            state = "done" if fresh else "before"
        else:
            sub, before = confirmations.waiting(token)
            state = "before" if before else "ask"
    except NotFound as exc:
        return exc.status, {**view, "state": _reason(exc)}
    return 200, {**view, "state": state, "subscription": described(rt, sub, lang)}


def _reason(exc: NotFound) -> str:
    details = exc.details if isinstance(exc.details, list) else [exc.details]
    reasons = {str(d.get("reason")) for d in details if isinstance(d, dict)}
    return "expired" if "expired" in reasons else "unknown"


def described(rt: Runtime, sub: Subscription, lang: str) -> dict[str, Any]:
    """What a link's page says a subscription is, in the visitor's language; never the
    target's secrets. The unsubscribe page shows the same facts."""
    t = i18n.strings(lang)
    return {
        "scope": t[f"confirm_scope_{sub.scope_kind}"].replace("{name}", _scope_name(rt, sub, lang)),
        "channel": t[f"confirm_channel_{sub.channel}"],
        "target": masked(sub.target),
        "level": t[f"level_{sub.min_level}"],
        "confirm_by": None if sub.confirm_by is None else sub.confirm_by.isoformat(),
    }


def _scope_name(rt: Runtime, sub: Subscription, lang: str) -> str:
    value = sub.scope_value
    if sub.scope_kind == "service" and value in rt.catalog:
        return rt.catalog.get(value).display_name(lang)
    if sub.scope_kind == "owner":
        return rt.catalog.owner_name(value, lang)
    if sub.scope_kind == "country" and value in rt.places.countries:
        return rt.places.country_name(value, lang)
    return value
