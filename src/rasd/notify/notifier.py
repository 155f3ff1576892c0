"""The notifier: turns incident changes and statements into queued messages, and sends them.

Queueing happens in the detection tick (a listener of the engine) and in the request that
posts a statement; sending happens in its own loop, so a slow receiver never slows detection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import timedelta
from typing import Any

import orjson
import pycountry

from rasd.catalog import Catalog
from rasd.clock import Clock
from rasd.impact import ImpactReader
from rasd.notify.alerts import Alert, AlertPolicy
from rasd.notify.alerts import MessageKind as Kind
from rasd.notify.confirmations import Asked, Confirmations
from rasd.notify.messages import confirmation_words, words
from rasd.notify.outbox import Delivery, Outbox
from rasd.notify.senders import AppriseSender, DeliveryFailed, Sender, WebhookSender
from rasd.notify.signing import LinkSigner
from rasd.notify.statements import StatementStore
from rasd.notify.subscriptions import LEVEL_NAMES, Subscription, SubscriptionStore
from rasd.store.base import Store

_log = logging.getLogger("rasd.notify")

RESOLVE_SETTLE = timedelta(minutes=10)
CONFIRM_WITHIN = timedelta(hours=48)
PURGE_EVERY = timedelta(minutes=10)
_BATCH = 50


class Notifier:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        clock: Clock,
        *,
        public_url: str,
        resolve_settle: timedelta = RESOLVE_SETTLE,
        senders: dict[str, Sender] | None = None,
        confirm_within: timedelta = CONFIRM_WITHIN,
        pending_max: int = 3,
        impacts: ImpactReader | None = None,
    ) -> None:
        self.catalog = catalog
        self.impacts = impacts
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self.resolve_settle = resolve_settle
        self.subscriptions = SubscriptionStore(store, catalog, clock)
        self.outbox = Outbox(store)
        self.statements = StatementStore(store, clock)
        self.policy = AlertPolicy(store)
        self.links = LinkSigner.from_store(store)
        self.confirmations = Confirmations(
            store,
            self.subscriptions,
            self.outbox,
            clock,
            wait=confirm_within,
            pending_max=pending_max,
        )
        self.senders: dict[str, Sender] = senders or {
            "webhook": WebhookSender(),
            "apprise": AppriseSender(),
        }
        # (channel, outcome) -> how many: outcome is sent, failed (an attempt) or dead
        self.stats: Counter[tuple[str, str]] = Counter()

    def _now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    # -- queueing --------------------------------------------------------------------------
    def listen(self, kind: str, payload: dict[str, Any]) -> None:
        """The detection engine's listener."""
        if kind != "incident":
            return
        for alert in self.policy.on_change(str(payload["change"]), payload["incident"]):
            self._queue_alert(alert)

    def _queue_alert(self, alert: Alert) -> None:
        if alert.service not in self.catalog:
            return
        countries = [
            str(r["region"])
            for r in alert.incident.get("regions", [])
            if "/" not in str(r["region"]) and str(r["region"]) != "*"
        ]
        withdrawn: set[str] = set()
        if alert.kind is Kind.REOPENED:
            withdrawn = self.outbox.withdraw(alert.incident_id, Kind.RESOLVED)
        due = self._now_ms()
        if alert.kind is Kind.RESOLVED:
            due += int(self.resolve_settle.total_seconds() * 1000)
        rows = []
        for sub in self.subscriptions.matching(alert.service, countries):
            kind = alert.kind_for(sub.min_level)
            if kind is None or sub.id in withdrawn:
                continue
            message = self.message(
                sub,
                kind,
                alert.service,
                alert.incident,
                alert.level,
                None,
                dedupe=f"{alert.incident_id}:{alert.seq}",
            )
            rows.append(self._row(sub, message, kind, alert.service, alert.incident_id, due))
        self.outbox.add(rows)

    def statement(self, statement: dict[str, Any], incident: dict[str, Any] | None) -> int:
        """Queue an official statement to everyone who follows the service; how many."""
        service = str(statement["service"])
        level = int(incident["level"]) if incident else 0
        rows = []
        for sub in self.subscriptions.matching(service):
            message = self.message(
                sub,
                Kind.STATEMENT,
                service,
                incident,
                level,
                statement,
                dedupe=f"statement:{statement['id']}",
            )
            incident_id = statement.get("incident")
            rows.append(
                self._row(sub, message, Kind.STATEMENT, service, incident_id, self._now_ms())
            )
        return self.outbox.add(rows)

    def message(
        self,
        sub: Subscription,
        kind: Kind,
        service_id: str,
        incident: dict[str, Any] | None,
        level: int,
        statement: dict[str, Any] | None,
        *,
        dedupe: str,
    ) -> dict[str, Any]:
        service = self.catalog.get(service_id)
        title, text = words(kind, service.name, incident, level, statement)
        impact = None
        if incident is not None and self.impacts is not None:
            impact = self.impacts.of_incident(incident)
        if impact is not None and kind is Kind.RESOLVED:
            text = {lang: f"{body} {impact['sentence'][lang]}" for lang, body in text.items()}
        event = "statement.posted" if kind is Kind.STATEMENT else f"incident.{kind}"
        links = {
            "details": f"{self.public_url}/services/{service.id}",
            "unsubscribe": self._unsubscribe_url(sub),
        }
        if incident is not None:
            links["incident"] = f"{self.public_url}/api/v1/incidents/{incident['id']}"
        return {
            "id": f"{sub.id}:{dedupe}",
            "type": event,
            "created_at": self.clock.now().isoformat(),
            "service": {"id": service.id, "name": dict(service.name), "owner": service.owner},
            "level": level,
            "level_name": LEVEL_NAMES.get(level, "ok"),
            "incident": incident,
            "impact": impact,
            "statement": statement,
            "title": title,
            "text": text,
            "links": links,
        }

    def _unsubscribe_url(self, sub: Subscription) -> str:
        return f"{self.public_url}/api/v1/unsubscribe?token={self.links.token(sub.id)}"

    # -- subscriptions people make themselves ----------------------------------------------
    def ask(self, sub: Subscription) -> Asked:
        """Keep a subscription someone asked for waiting, and queue the one message that asks
        the channel's owner to confirm it."""
        return self.confirmations.ask(sub, self._confirmation)

    def _confirmation(self, sub: Subscription, token: str) -> dict[str, Any]:
        assert sub.confirm_by is not None, "only a waiting subscription is confirmed"
        url = f"{self.public_url}/api/v1/subscribe/confirm?token={token}"
        names, details = self._scope_words(sub)
        title, text = confirmation_words(sub.scope_kind, names, sub.min_level, sub.confirm_by, url)
        message = {
            "id": f"{sub.id}:confirm",
            "type": "subscription.confirm",
            "created_at": self.clock.now().isoformat(),
            # the webhook's signing secret goes to the channel's owner only, never to whoever
            # asked: signatures then prove a message came from Rasd
            "subscription": {**sub.public(), "secret": sub.secret},
            "title": title,
            "text": text,
            "links": {
                "confirm": url,
                "details": details,
                "unsubscribe": self._unsubscribe_url(sub),
            },
        }
        service = sub.scope_value if sub.scope_kind == "service" else "*"
        return self._row(sub, message, Kind.CONFIRM, service, None, self._now_ms())

    def _scope_words(self, sub: Subscription) -> tuple[dict[str, str], str]:
        """What a subscription is about, by language, and the page that shows it."""
        if sub.scope_kind == "service":
            service = self.catalog.get(sub.scope_value)
            return dict(service.name), f"{self.public_url}/services/{service.id}"
        if sub.scope_kind == "owner":
            names = {lang: self.catalog.owner_name(sub.scope_value, lang) for lang in ("en", "ar")}
            return names, f"{self.public_url}/"
        country = pycountry.countries.get(alpha_2=sub.scope_value)
        return {"en": getattr(country, "name", sub.scope_value)}, f"{self.public_url}/"

    def _row(
        self,
        sub: Subscription,
        message: dict[str, Any],
        kind: Kind,
        service: str,
        incident_id: Any,
        due: int,
    ) -> dict[str, Any]:
        return {
            "subscription_id": sub.id,
            # the message id is "<subscription>:<dedupe>", and subscription ids are hex
            "dedupe": str(message["id"]).split(":", 1)[1],
            "kind": kind.value,
            "service": service,
            "incident_id": None if incident_id is None else str(incident_id),
            "body": orjson.dumps(message).decode(),
            "next_ms": due,
            "created_ms": self._now_ms(),
        }

    # -- sending ---------------------------------------------------------------------------
    async def deliver_due(self) -> int:
        """Send what is due now; how many were taken."""
        now = self._now_ms()
        due = await asyncio.to_thread(self.outbox.claim, now, _BATCH)
        if not due:
            return 0
        subs = await asyncio.to_thread(self.subscriptions.many, [d.subscription_id for d in due])
        # one subscriber hears its alerts in the order they were made; subscribers in parallel
        queues: dict[str, list[Delivery]] = {}
        for delivery in due:
            queues.setdefault(delivery.subscription_id, []).append(delivery)

        async def in_order(deliveries: list[Delivery]) -> None:
            for delivery in deliveries:
                await self._deliver(delivery, subs.get(delivery.subscription_id))

        await asyncio.gather(*(in_order(q) for q in queues.values()))
        return len(due)

    async def _deliver(self, delivery: Delivery, sub: Subscription | None) -> None:
        # a subscription waiting for confirmation is sent the message that asks for it, only
        wanted = sub is not None and (
            sub.active or (sub.state == "pending" and delivery.kind == Kind.CONFIRM)
        )
        if sub is None or not wanted:
            await asyncio.to_thread(self.outbox.cancel, delivery.id, "unsubscribed")
            return
        sender = self.senders.get(sub.channel)
        try:
            if sender is None:
                raise DeliveryFailed(f"no sender for {sub.channel!r}")
            await sender.send(sub, orjson.loads(delivery.body))
        except Exception as exc:  # any failure of a receiver is a failed attempt, not a crash
            error = str(exc) if isinstance(exc, DeliveryFailed) else f"{type(exc).__name__}: {exc}"
            dead = await asyncio.to_thread(self.outbox.failed, delivery, self._now_ms(), error)
            self.stats[(sub.channel, "failed")] += 1
            if dead:
                self.stats[(sub.channel, "dead")] += 1
                _log.warning("delivery %d to %s is dead: %s", delivery.id, sub.id, error)
            return
        await asyncio.to_thread(self.outbox.sent, delivery, self._now_ms())
        self.stats[(sub.channel, "sent")] += 1

    async def run(self, stop: asyncio.Event, *, every: float = 1.0) -> None:
        """Send until stopped; a full batch is followed at once by the next. Now and then,
        forget the subscriptions nobody confirmed in time."""
        purge_at = self.clock.now()
        while not stop.is_set():
            taken = 0
            try:
                if self.clock.now() >= purge_at:
                    await asyncio.to_thread(self.confirmations.purge)
                    purge_at = self.clock.now() + PURGE_EVERY
                taken = await self.deliver_due()
            except Exception:
                _log.exception("sending alerts failed")
            if taken >= _BATCH:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    async def close(self) -> None:
        for sender in self.senders.values():
            closing = getattr(sender, "close", None)
            if closing is not None:
                await closing()


def notifier_of(runtime: Any) -> Notifier:
    """The process's notifier, made on first use; it hears the detection engine if there is one."""
    notifier: Notifier = runtime.notifier.get(lambda: _listening(runtime))
    return notifier


def _listening(runtime: Any) -> Notifier:
    notifier = _make(runtime)
    engine = runtime.engine
    if engine is not None:
        engine.listen(notifier.listen)
    return notifier


def _make(runtime: Any) -> Notifier:
    settings = runtime.settings
    host = "localhost" if settings.host in ("0.0.0.0", "::") else settings.host
    return Notifier(
        runtime.store,
        runtime.catalog,
        runtime.clock,
        public_url=settings.public_url or f"http://{host}:{settings.port}",
        confirm_within=timedelta(hours=settings.subscribe_confirm_hours),
        pending_max=settings.subscribe_pending_max,
        impacts=ImpactReader.of(runtime),
    )
