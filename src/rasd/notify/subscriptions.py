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
from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    delete,
    false,
    func,
    or_,
    select,
    true,
    update,
)

from rasd.catalog import Catalog
from rasd.clock import Clock
from rasd.detect.decision import Status
from rasd.errors import InvalidInput, NotFound, field_error
from rasd.notify.signing import new_secret
from rasd.store import schema
from rasd.store.base import Store

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


_s = schema.subscriptions.c
_c = schema.confirmations.c
# a subscription with the end of its wait when it waits for its owner's confirmation
_WITH_WAIT = select(schema.subscriptions, _c.expires_ms.label("confirm_by_ms")).select_from(
    schema.subscriptions.outerjoin(
        schema.confirmations, and_(_c.subscription_id == _s.id, _c.confirmed_ms.is_(None))
    )
)


def in_states(states: Collection[str]) -> ColumnElement[bool]:
    """The condition, on `_WITH_WAIT`'s rows, of being in one of these states."""
    waiting = _c.expires_ms.is_not(None)
    each = {
        "active": _s.active.is_(True),
        "pending": _s.active.is_(False) & waiting,
        "ended": _s.active.is_(False) & ~waiting,
    }
    chosen = [each[state] for state in states]
    return or_(*chosen) if chosen else false()


class SubscriptionStore:
    def __init__(self, store: Store, catalog: Catalog, clock: Clock) -> None:
        self.store = store
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

    def insert(self, conn: Connection, sub: Subscription) -> None:
        conn.execute(schema.subscriptions.insert(), _row(sub))

    def where(self, conn: Connection, *conditions: ColumnElement[bool]) -> list[Subscription]:
        """Subscriptions that meet these conditions, oldest first, read in a transaction."""
        query = _WITH_WAIT.where(*conditions).order_by(_s.created_ms, _s.id)
        return [_from_row(r._mapping) for r in conn.execute(query).all()]

    def keep(self, sub: Subscription) -> Subscription:
        self.store.write(lambda conn: self.insert(conn, sub))
        return sub

    def create(self, **fields: Any) -> Subscription:
        """Check and keep a subscription (active unless told otherwise); see `new`."""
        return self.keep(self.new(**fields))

    def get(self, subscription_id: str) -> Subscription:
        query = _WITH_WAIT.where(_s.id == subscription_id)
        row = self.store.read(lambda conn: conn.execute(query).first())
        if row is None:
            raise NotFound(
                f"no subscription {subscription_id!r}",
                details=[field_error("id", "unknown", value=subscription_id)],
            )
        return _from_row(row._mapping)

    def many(self, ids: Iterable[str]) -> dict[str, Subscription]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        query = _WITH_WAIT.where(_s.id.in_(wanted))
        rows = self.store.read(lambda conn: conn.execute(query).all())
        return {row.id: _from_row(row._mapping) for row in rows}

    def page(
        self,
        *,
        states: Collection[str] | None = ("active",),
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Subscription], int]:
        """Oldest first, in these states (all of them: None), and how many there are."""
        where = true() if states is None else in_states(states)
        query = _WITH_WAIT.where(where).order_by(_s.created_ms, _s.id).limit(limit).offset(offset)
        counting = select(func.count()).select_from(_WITH_WAIT.where(where).subquery())

        def run(conn: Connection) -> tuple[list[Subscription], int]:
            rows = conn.execute(query).all()
            return [_from_row(r._mapping) for r in rows], int(conn.execute(counting).scalar_one())

        return self.store.read(run)

    def deactivate(self, subscription_id: str) -> bool:
        """Whether it was active or waiting for confirmation; unknown ids are an error, leaving
        twice is not. A subscription still waiting can no longer be confirmed."""
        self.get(subscription_id)
        ending = (
            update(schema.subscriptions)
            .where(_s.id == subscription_id, _s.active.is_(True))
            .values(active=False)
        )
        refusing = delete(schema.confirmations).where(
            _c.subscription_id == subscription_id, _c.confirmed_ms.is_(None)
        )

        def run(conn: Connection) -> bool:
            ended = conn.execute(ending).rowcount
            refused = conn.execute(refusing).rowcount
            return bool(ended or refused)

        return self.store.write(run)

    def matching(self, service_id: str, countries: Iterable[str] = ()) -> list[Subscription]:
        """Active subscriptions that cover this service, whatever their level.

        A country's subscribers hear about the services of that country, and about a
        worldwide service when the incident is felt there (`countries`).
        """
        service = self.catalog.get(service_id)
        s = schema.subscriptions.c
        wanted = (
            (s.scope_kind == "all")
            | ((s.scope_kind == "service") & (s.scope_value == service.id))
            | ((s.scope_kind == "owner") & (s.scope_value == service.owner))
        )
        places = set(service.countries) | {c.upper() for c in countries}
        if places:
            wanted = wanted | ((s.scope_kind == "country") & s.scope_value.in_(sorted(places)))
        query = select(schema.subscriptions).where(s.active.is_(True)).where(wanted)
        query = query.order_by(s.created_ms, s.id)
        rows = self.store.read(lambda conn: conn.execute(query).all())
        return [_from_row(r._mapping) for r in rows]


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
