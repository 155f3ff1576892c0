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

from rasd.clock import Clock
from rasd.errors import NotFound, RateLimited, field_error
from rasd.notify.outbox import Outbox
from rasd.notify.subscriptions import Subscription, SubscriptionStore
from rasd.store.base import Store
from rasd.store.notify import ConfirmationRows, Row, Transaction

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
        self.rows = ConfirmationRows(store)
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

        def run(tx: Transaction) -> Asked:
            self.rows.forget_lapsed_in(tx, now_ms)
            scope = (sub.scope_kind, sub.scope_value)
            same = self.subscriptions.of_target_in(tx, sub.target, ("active", "pending"), scope)
            if same:
                return Asked(same[0], created=False)
            # lapsed requests were forgotten just now: those waiting still hold
            self._check_room(self.subscriptions.of_target_in(tx, sub.target, ["pending"]), now_ms)
            self.subscriptions.add_in(tx, waiting)
            self.rows.add_in(
                tx,
                {
                    "subscription_id": waiting.id,
                    "token_hash": token_hash(token),
                    "created_ms": now_ms,
                    "expires_ms": now_ms + int(self.wait.total_seconds() * 1000),
                    "confirmed_ms": None,
                },
            )
            self.outbox.add_in(tx, [message(waiting, token)])
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

        def run(tx: Transaction) -> tuple[str, bool]:
            row = self._named(tx, digest, now_ms)
            return str(row["subscription_id"]), row["confirmed_ms"] is not None

        subscription_id, before = self.store.read(run)
        return self.subscriptions.get(subscription_id), before

    def confirm(self, token: str) -> tuple[Subscription, bool]:
        """The subscription a link names, active from now on; False when it was confirmed
        before (a subscription ended since stays ended)."""
        digest = token_hash(token)
        now_ms = self._now_ms()

        def run(tx: Transaction) -> tuple[str, bool]:
            row = self._named(tx, digest, now_ms)
            subscription_id = str(row["subscription_id"])
            if row["confirmed_ms"] is not None:
                return subscription_id, False
            self.rows.confirm_in(tx, subscription_id, now_ms)
            return subscription_id, True

        subscription_id, fresh = self.store.write(run)
        return self.subscriptions.get(subscription_id), fresh

    def purge(self) -> int:
        """Forget the requests nobody confirmed in time; how many."""
        now_ms = self._now_ms()
        return self.store.write(lambda tx: self.rows.forget_lapsed_in(tx, now_ms))

    def _named(self, tx: Transaction, digest: str, now_ms: int) -> Row:
        """The confirmation a link's token names: unknown and lapsed links are not found."""
        row = self.rows.by_token_in(tx, digest)
        if row is None:
            raise NotFound(
                "this confirmation link is not valid; it may have lapsed",
                details=[field_error("token", "unknown")],
            )
        if row["confirmed_ms"] is None and row["expires_ms"] <= now_ms:
            raise NotFound(
                "this confirmation link has lapsed; subscribe again",
                details=[field_error("token", "expired")],
            )
        return row
