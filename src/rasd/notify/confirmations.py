"""Subscriptions people make themselves: proof that a channel is theirs before any alert.

Anyone may ask for alerts to go to a webhook or an apprise URL; nothing but one message asking
for confirmation goes there until someone who reads that channel follows the link in it. The
link's token is random and only its SHA-256 is kept, so a copy of the database confirms
nothing. A request that is not confirmed in time is forgotten, with its message. Asking again
for the same URL and scope sends nothing new, and one URL has only a few requests waiting at
once: nobody can use Rasd to flood someone else's channel.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update

from rasd.clock import Clock
from rasd.errors import NotFound, RateLimited, field_error
from rasd.notify.outbox import Outbox
from rasd.notify.subscriptions import Subscription, SubscriptionStore, in_states
from rasd.store import schema
from rasd.store.base import Store

_s = schema.subscriptions.c
_c = schema.confirmations.c

# what makes the message that asks for confirmation: (the waiting subscription, its token) ->
# a row for the outbox
MessageMaker = Callable[[Subscription, str], dict[str, Any]]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Asked:
    subscription: Subscription
    # False: this URL already has this scope, active or waiting, and nothing was sent
    created: bool


class Confirmations:
    def __init__(
        self,
        store: Store,
        subscriptions: SubscriptionStore,
        outbox: Outbox,
        clock: Clock,
        *,
        wait: timedelta,
        pending_max: int,
    ) -> None:
        self.store = store
        self.subscriptions = subscriptions
        self.outbox = outbox
        self.clock = clock
        self.wait = wait
        self.pending_max = pending_max

    def _now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def ask(self, sub: Subscription, message: MessageMaker) -> Asked:
        """Keep `sub` waiting for confirmation and queue the one message that asks for it, in one
        transaction; or, when the same URL has the same scope already, the one it has."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        now_ms = int(now.timestamp() * 1000)
        waiting = replace(sub, active=False, confirm_by=now + self.wait)

        def run(conn: Connection) -> Asked:
            self._purge(conn, now_ms)
            same = self.subscriptions.where(
                conn,
                _s.target == sub.target,
                _s.scope_kind == sub.scope_kind,
                _s.scope_value == sub.scope_value,
                in_states(("active", "pending")),
            )
            if same:
                return Asked(same[0], created=False)
            # lapsed requests were purged just now: those waiting still hold
            target = _s.target == sub.target
            self._check_room(self.subscriptions.where(conn, target, in_states(["pending"])), now_ms)
            self.subscriptions.insert(conn, waiting)
            conn.execute(
                schema.confirmations.insert(),
                {
                    "subscription_id": waiting.id,
                    "token_hash": token_hash(token),
                    "created_ms": now_ms,
                    "expires_ms": now_ms + int(self.wait.total_seconds() * 1000),
                    "confirmed_ms": None,
                },
            )
            self.outbox.add_in(conn, [message(waiting, token)])
            return Asked(waiting, created=True)

        return self.store.write(run)

    def _check_room(self, waiting: list[Subscription], now_ms: int) -> None:
        if len(waiting) < self.pending_max:
            return
        first_ms = min(int(w.confirm_by.timestamp() * 1000) for w in waiting if w.confirm_by)
        raise RateLimited(
            "this URL has subscriptions waiting for confirmation already: confirm them, "
            "or ask again when they lapse",
            retry_after=max(1, math.ceil((first_ms - now_ms) / 1000)),
            details=[field_error("url", "too many waiting", waiting=len(waiting))],
        )

    def waiting(self, token: str) -> tuple[Subscription, bool]:
        """The subscription a link names, changing nothing; True when the link was followed
        before. Unknown and lapsed links are refused as `confirm` refuses them."""
        digest = token_hash(token)
        now_ms = self._now_ms()

        def run(conn: Connection) -> tuple[str, bool]:
            row = _named(conn, digest, now_ms)
            return str(row.subscription_id), row.confirmed_ms is not None

        subscription_id, before = self.store.read(run)
        return self.subscriptions.get(subscription_id), before

    def confirm(self, token: str) -> tuple[Subscription, bool]:
        """The subscription a link names, active from now on; False when it was confirmed
        before (a subscription ended since stays ended)."""
        digest = token_hash(token)
        now_ms = self._now_ms()

        def run(conn: Connection) -> tuple[str, bool]:
            row = _named(conn, digest, now_ms)
            if row.confirmed_ms is not None:
                return str(row.subscription_id), False
            conn.execute(
                update(schema.confirmations)
                .where(_c.subscription_id == row.subscription_id)
                .values(confirmed_ms=now_ms)
            )
            conn.execute(
                update(schema.subscriptions).where(_s.id == row.subscription_id).values(active=True)
            )
            return str(row.subscription_id), True

        subscription_id, fresh = self.store.write(run)
        return self.subscriptions.get(subscription_id), fresh

    def purge(self) -> int:
        """Forget the requests nobody confirmed in time; how many."""
        now_ms = self._now_ms()
        return self.store.write(lambda conn: self._purge(conn, now_ms))

    def _purge(self, conn: Connection, now_ms: int) -> int:
        lapsed = [
            str(r[0])
            for r in conn.execute(
                select(_c.subscription_id).where(_c.confirmed_ms.is_(None), _c.expires_ms <= now_ms)
            ).all()
        ]
        if not lapsed:
            return 0
        d = schema.deliveries.c
        conn.execute(delete(schema.deliveries).where(d.subscription_id.in_(lapsed)))
        conn.execute(delete(schema.subscriptions).where(_s.id.in_(lapsed), _s.active.is_(False)))
        conn.execute(delete(schema.confirmations).where(_c.subscription_id.in_(lapsed)))
        return len(lapsed)


def _named(conn: Connection, digest: str, now_ms: int) -> Row[Any]:
    """The confirmation a link's token names: unknown and lapsed links are not found."""
    row = conn.execute(select(schema.confirmations).where(_c.token_hash == digest)).first()
    if row is None:
        raise NotFound(
            "this confirmation link is not valid; it may have lapsed",
            details=[field_error("token", "unknown")],
        )
    if row.confirmed_ms is None and row.expires_ms <= now_ms:
        raise NotFound(
            "this confirmation link has lapsed; subscribe again",
            details=[field_error("token", "expired")],
        )
    return row
