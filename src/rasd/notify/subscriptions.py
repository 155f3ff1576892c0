"""Subscriptions: who hears about which services, from which level up, by which channel."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, func, select, update

from rasd.catalog import Catalog
from rasd.clock import Clock
from rasd.errors import InvalidInput, NotFound, field_error
from rasd.notify.signing import new_secret
from rasd.store import schema
from rasd.store.base import Store

CHANNELS = ("webhook", "apprise")
SCOPE_KINDS = ("all", "service", "owner", "country")
LEVELS = {"possible_problems": 1, "problems_detected": 2}
LEVEL_NAMES = {level: name for name, level in LEVELS.items()}
LANGS = ("en", "ar")


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
        }


def masked(url: str) -> str:
    """Scheme and host only: apprise URLs carry bot tokens and passwords in their paths."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}/…" if parts.scheme else "…"


def _bad(field: str, message: str, value: Any = None) -> InvalidInput:
    extra = {} if value is None else {"value": value}
    return InvalidInput(message, details=[field_error(field, message, **extra)])


def check_target(channel: str, target: str) -> None:
    if channel == "webhook":
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _bad("url", "a webhook URL is http:// or https:// with a host")
        return
    if channel == "apprise":
        from rasd.notify.senders import load_apprise

        if not load_apprise().Apprise().add(target):
            raise _bad("url", "apprise does not know this URL; see its list of services")
        return
    raise _bad("channel", f"channel is one of {', '.join(CHANNELS)}", channel)


class SubscriptionStore:
    def __init__(self, store: Store, catalog: Catalog, clock: Clock) -> None:
        self.store = store
        self.catalog = catalog
        self.clock = clock

    def _check_scope(self, kind: str, value: str) -> str:
        if kind == "all":
            return ""
        if kind == "service":
            return self.catalog.get(value).id
        if kind == "owner":
            if not self.catalog.by_owner(value):
                raise _bad("owner", "no service in the catalog has this owner", value)
            return value
        if kind == "country":
            code = value.upper()
            if len(code) != 2 or not code.isalpha():
                raise _bad("country", "a country is an ISO 3166 two-letter code", value)
            return code
        raise _bad("scope", f"scope is one of {', '.join(SCOPE_KINDS)}", kind)

    def create(
        self,
        *,
        channel: str,
        target: str,
        scope_kind: str = "all",
        scope_value: str = "",
        min_level: int = 1,
        lang: str = "en",
        label: str = "",
    ) -> Subscription:
        check_target(channel, target)
        value = self._check_scope(scope_kind, scope_value)
        if min_level not in LEVEL_NAMES:
            raise _bad("min_level", "min_level is possible_problems or problems_detected")
        if lang not in LANGS:
            raise _bad("lang", "lang is en or ar", lang)
        sub = Subscription(
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
            active=True,
        )
        row = _row(sub)
        self.store.write(lambda conn: conn.execute(schema.subscriptions.insert(), row))
        return sub

    def get(self, subscription_id: str) -> Subscription:
        s = schema.subscriptions.c
        query = select(schema.subscriptions).where(s.id == subscription_id)
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
        query = select(schema.subscriptions).where(schema.subscriptions.c.id.in_(wanted))
        rows = self.store.read(lambda conn: conn.execute(query).all())
        return {row.id: _from_row(row._mapping) for row in rows}

    def page(
        self, *, active: bool | None = True, limit: int = 100, offset: int = 0
    ) -> tuple[list[Subscription], int]:
        s = schema.subscriptions.c
        query = select(schema.subscriptions)
        counting = select(func.count()).select_from(schema.subscriptions)
        if active is not None:
            query = query.where(s.active.is_(active))
            counting = counting.where(s.active.is_(active))
        query = query.order_by(s.created_ms, s.id).limit(limit).offset(offset)

        def run(conn: Connection) -> tuple[list[Subscription], int]:
            rows = conn.execute(query).all()
            return [_from_row(r._mapping) for r in rows], int(conn.execute(counting).scalar_one())

        return self.store.read(run)

    def deactivate(self, subscription_id: str) -> bool:
        """Whether it was active; unknown ids are an error, leaving twice is not."""
        self.get(subscription_id)
        stmt = (
            update(schema.subscriptions)
            .where(schema.subscriptions.c.id == subscription_id)
            .where(schema.subscriptions.c.active.is_(True))
            .values(active=False)
        )
        changed = self.store.write(lambda conn: conn.execute(stmt).rowcount)
        return bool(changed)

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
    )
