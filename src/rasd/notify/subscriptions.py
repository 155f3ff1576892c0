"""Subscriptions: who hears about which services, from which level up, by which channel."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pycountry

from rasd.catalog import Catalog
from rasd.clock import Clock
from rasd.detect.decision import Status
from rasd.errors import InvalidInput, NotFound, field_error
from rasd.notify.signing import new_secret
from rasd.store.base import Store
from rasd.store.notify import SubscriptionRows, Transaction

CHANNELS = ("webhook", "apprise")
SCOPE_KINDS = ("all", "service", "owner", "country")
# a subscription asks for a level at least; "ok" is no alert
LEVELS = {str(s): int(s.level) for s in (Status.POSSIBLE, Status.DETECTED)}
LEVEL_NAMES = {level: name for name, level in LEVELS.items()}
LANGS = ("en", "ar")
STATES = ("active", "pending", "ended")


@dataclass(frozen=True)
class Subscription:
    id: str
    channel: str
    target: str
    secret: str | None
    scope_kind: str
    scope_value: str
    min_level: int
    lang: str
    label: str
    created: datetime
    active: bool
    # while it waits for its owner to confirm it: until when
    confirm_by: datetime | None = None

    @property
    def state(self) -> str:
        if self.active:
            return "active"
        return "pending" if self.confirm_by is not None else "ended"

    def public(self) -> dict[str, Any]:
        """What may be shown back: never the secret, and the target without its credentials."""
        return {
            "id": self.id,
            "channel": self.channel,
            "target": masked(self.target),
            "scope": {"kind": self.scope_kind, "value": self.scope_value or None},
            "min_level": LEVEL_NAMES[self.min_level],
            "lang": self.lang,
            "label": self.label,
            "created_at": self.created.isoformat(),
            "active": self.active,
            "state": self.state,
            "confirm_by": None if self.confirm_by is None else self.confirm_by.isoformat(),
        }


def masked(url: str) -> str:
    """Scheme and host only: apprise URLs carry bot tokens and passwords in their paths."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "…"
    return f"{parts.scheme}://{host}/…" if parts.scheme else "…"


def _bad(field: str, message: str, value: Any = None) -> InvalidInput:
    extra = {} if value is None else {"value": value}
    return InvalidInput(message, details=[field_error(field, message, **extra)])


# a webhook URL: http(s), a DNS name (ASCII; an IDN as its xn-- form) or an IPv4 address,
# a port or none, then any printable path; the API document says the same pattern
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
WEBHOOK_URL = (
    rf"[Hh][Tt][Tt][Pp][Ss]?://(?:{_LABEL}\.)*{_LABEL}\.?(?::[0-9]{{1,5}})?(?:[/?#][!-~]*)?"
)
_WEBHOOK_URL = re.compile(WEBHOOK_URL)


def apprise_schemes() -> list[str]:
    """The schemes of every service apprise knows (tgram, discord, mailto, json...)."""
    from rasd.notify.senders import load_apprise

    schemes: set[str] = set()
    for plugin in load_apprise().Apprise().details()["schemas"]:
        for key in ("protocols", "secure_protocols"):
            named = plugin.get(key) or ()
            schemes.update((named,) if isinstance(named, str) else named)
    return sorted(schemes)


def check_target(channel: str, target: str) -> None:
    if channel == "webhook":
        if not _WEBHOOK_URL.fullmatch(target):
            raise _bad("url", "a webhook URL is http:// or https:// with a host")
        return
    if channel == "apprise":
        from rasd.notify.senders import load_apprise

        if not load_apprise().Apprise().add(target):
            raise _bad("url", "apprise does not know this URL; see its list of services")
        return
    raise _bad("channel", f"channel is one of {', '.join(CHANNELS)}", channel)


def scope_from(service: str | None, owner: str | None, country: str | None) -> tuple[str, str]:
    """The one scope named (kind, value), or everything when none is."""
    named = (("service", service), ("owner", owner), ("country", country))
    chosen = [(kind, value) for kind, value in named if value]
    if len(chosen) > 1:
        raise InvalidInput(
            "subscribe to one service, one owner, one country, or (none of them) to everything",
            details=[field_error(k, "only one scope") for k, _ in chosen],
        )
    return chosen[0] if chosen else ("all", "")


class SubscriptionStore:
    def __init__(self, store: Store, catalog: Catalog, clock: Clock) -> None:
        self.rows = SubscriptionRows(store)
        self.catalog = catalog
        self.clock = clock

    def _check_scope(self, kind: str, value: str) -> str:
        if kind == "all":
            return ""
        if kind == "service":
            if value not in self.catalog:
                raise _bad("service", "no service in the catalog has this id", value)
            return value
        if kind == "owner":
            if not self.catalog.by_owner(value):
                raise _bad("owner", "no service in the catalog has this owner", value)
            return value
        if kind == "country":
            code = value.upper()
            if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
                raise _bad("country", "a country is an ISO 3166 two-letter code", value)
            return code
        raise _bad("scope", f"scope is one of {', '.join(SCOPE_KINDS)}", kind)

    def new(
        self,
        *,
        channel: str,
        target: str,
        scope_kind: str = "all",
        scope_value: str = "",
        min_level: int = 1,
        lang: str = "en",
        label: str = "",
        active: bool = True,
    ) -> Subscription:
        """A checked subscription, not stored yet."""
        check_target(channel, target)
        value = self._check_scope(scope_kind, scope_value)
        if min_level not in LEVEL_NAMES:
            raise _bad("min_level", "min_level is possible_problems or problems_detected")
        if lang not in LANGS:
            raise _bad("lang", "lang is en or ar", lang)
        return Subscription(
            id=secrets.token_hex(8),
            channel=channel,
            target=target,
            secret=new_secret() if channel == "webhook" else None,
            scope_kind=scope_kind,
            scope_value=value,
            min_level=min_level,
            lang=lang,
            label=label[:200],
            created=self.clock.now(),
            active=active,
        )

    def add_in(self, tx: Transaction, sub: Subscription) -> None:
        """Keeps `sub` in the caller's transaction."""
        self.rows.add_in(tx, _row(sub))

    def of_target_in(
        self,
        tx: Transaction,
        target: str,
        states: Collection[str],
        scope: tuple[str, str] | None = None,
    ) -> list[Subscription]:
        """A URL's subscriptions in these states (of this scope, if given), oldest first, read
        in the caller's transaction."""
        return [
            _from_row(r) for r in self.rows.find_in(tx, target=target, states=states, scope=scope)
        ]

    def keep(self, sub: Subscription) -> Subscription:
        self.rows.add(_row(sub))
        return sub

    def create(self, **fields: Any) -> Subscription:
        """Check and keep a subscription (active unless told otherwise); see `new`."""
        return self.keep(self.new(**fields))

    def get(self, subscription_id: str) -> Subscription:
        row = self.rows.get(subscription_id)
        if row is None:
            raise NotFound(
                f"no subscription {subscription_id!r}",
                details=[field_error("id", "unknown", value=subscription_id)],
            )
        return _from_row(row)

    def many(self, ids: Iterable[str]) -> dict[str, Subscription]:
        return {row["id"]: _from_row(row) for row in self.rows.many(ids)}

    def page(
        self,
        *,
        states: Collection[str] | None = ("active",),
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Subscription], int]:
        """Oldest first, in these states (all of them: None), and how many there are."""
        rows, total = self.rows.page(states=states, limit=limit, offset=offset)
        return [_from_row(r) for r in rows], total

    def deactivate(self, subscription_id: str) -> bool:
        """Whether it was active or waiting for confirmation; unknown ids are an error, leaving
        twice is not. A subscription still waiting can no longer be confirmed."""
        self.get(subscription_id)
        return self.rows.end(subscription_id)

    def matching(self, service_id: str, countries: Iterable[str] = ()) -> list[Subscription]:
        """Active subscriptions that cover this service, whatever their level.

        A country's subscribers hear about the services of that country, and about a
        worldwide service when the incident is felt there (`countries`).
        """
        service = self.catalog.get(service_id)
        places = set(service.countries) | {c.upper() for c in countries}
        rows = self.rows.active_for(service=service.id, owner=service.owner, countries=places)
        return [_from_row(r) for r in rows]


def _row(sub: Subscription) -> dict[str, Any]:
    return {
        "id": sub.id,
        "channel": sub.channel,
        "target": sub.target,
        "secret": sub.secret,
        "scope_kind": sub.scope_kind,
        "scope_value": sub.scope_value,
        "min_level": sub.min_level,
        "lang": sub.lang,
        "label": sub.label,
        "created_ms": int(sub.created.timestamp() * 1000),
        "active": sub.active,
    }


def _from_row(row: Any) -> Subscription:
    return Subscription(
        id=row["id"],
        channel=row["channel"],
        target=row["target"],
        secret=row["secret"],
        scope_kind=row["scope_kind"],
        scope_value=row["scope_value"],
        min_level=int(row["min_level"]),
        lang=row["lang"],
        label=row["label"],
        created=datetime.fromtimestamp(row["created_ms"] / 1000, UTC),
        active=bool(row["active"]),
        confirm_by=_time(row.get("confirm_by_ms")),
    )


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(int(ms) / 1000, UTC)
