"""Channels: signed webhooks over HTTP, and everything apprise reaches (chat, email, push)."""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any, Protocol

import httpx
import orjson

from rasd import __version__
from rasd.notify.messages import footer
from rasd.notify.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign_webhook,
    standard_headers,
)
from rasd.notify.subscriptions import Subscription

TIMEOUT_SECONDS = 10.0


class DeliveryFailed(Exception):
    """The receiver did not take the message; it is tried again later."""


class Sender(Protocol):
    async def send(self, subscription: Subscription, message: dict[str, Any]) -> None: ...


class WebhookSender:
    """POSTs the message as JSON, signed with the subscription's secret; 2xx is delivered."""

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        unix_time: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        # the receiver compares the stamp with its own clock, so it is the real time, even in a
        # replay whose incidents happen on a virtual one
        self._unix_time = unix_time

    async def send(self, subscription: Subscription, message: dict[str, Any]) -> None:
        body = orjson.dumps(message)
        stamp = int(self._unix_time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"Rasd/{__version__}",
            "X-Rasd-Event": str(message["type"]),
            "X-Rasd-Delivery": str(message["id"]),
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign_webhook(subscription.secret or "", stamp, body),
            **standard_headers(subscription.secret or "", str(message["id"]), stamp, body),
        }
        if self._client is None:
            # made on first use, inside the loop that will use it; redirects are not followed:
            # a signed message goes where it was addressed, or nowhere
            self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)
        try:
            response = await self._client.post(subscription.target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"HTTP {response.status_code}")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class AppriseSender:
    """One apprise notification per message, in the subscriber's language, with the links."""

    async def send(self, subscription: Subscription, message: dict[str, Any]) -> None:
        lang = subscription.lang
        title = message["title"][lang]
        body = message["text"][lang] + footer(
            lang, message["links"]["details"], message["links"]["unsubscribe"]
        )
        await asyncio.to_thread(_notify, subscription.target, title, body)


_apprise_lock = threading.Lock()
_apprise_ready = False


def load_apprise() -> Any:
    """apprise, with its plugins loaded once: they import `imghdr`, deprecated since 3.11,
    and that warning must not become an error in a strict test run or fill a log."""
    global _apprise_ready
    import apprise

    with _apprise_lock:
        if not _apprise_ready:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*imghdr", category=DeprecationWarning)
                apprise.Apprise().add("json://localhost")
            _apprise_ready = True
    return apprise


def _notify(url: str, title: str, body: str) -> None:
    apprise = load_apprise()
    sender = apprise.Apprise()
    if not sender.add(url):
        raise DeliveryFailed("apprise does not accept this URL")
    if not sender.notify(title=title, body=body):
        raise DeliveryFailed("apprise could not deliver the message")
