"""Asking for alerts, as the API's `POST /api/v1/subscribe` and the service page's form both
do: the same request, the same limit per client network, the same answer."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from rasd.http.body import client_address
from rasd.http.process import runtime_of
from rasd.ingest.reports import network_of
from rasd.locale import N_, each
from rasd.notify.confirmations import Asked
from rasd.notify.notifier import Notifier, notifier_of
from rasd.notify.subscriptions import LEVELS, Subscription, scope_from

_SENT = N_(
    "One message went to this address. Follow the link in it before {until} UTC to start "
    "the alerts; until then nothing else is sent."
)
_WAITING = N_(
    "A message asking for confirmation went to this address already. Follow its link "
    "before {until} UTC; nothing new was sent."
)
_ALREADY = N_("This address gets these alerts already; nothing was sent.")


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["webhook", "apprise"]
    url: str = Field(min_length=1, max_length=2000, description="Webhook URL, or apprise URL")
    service: str | None = Field(None, max_length=64, description="Only this service")
    owner: str | None = Field(None, max_length=64, description="Only this owner's services")
    country: str | None = Field(None, max_length=2, description="Only services of this country")
    min_level: Literal["possible_problems", "problems_detected"] = "possible_problems"
    lang: Literal["en", "ar"] = "en"


def answer(asked: Asked) -> dict[str, Any]:
    """What is said back to whoever asked: the subscription as it is, and what happened."""
    sub = asked.subscription
    until = "" if sub.confirm_by is None else sub.confirm_by.strftime("%Y-%m-%d %H:%M")
    if asked.created:
        words = _SENT
    else:
        words = _WAITING if sub.state == "pending" else _ALREADY
    said = each(words, until=until)
    return {"subscription": sub.public(), "created": asked.created, "message": said}


async def ask(request: Request, body: SubscribeIn) -> Asked:
    """One request for alerts, from the API or the site's form: limited per client network."""
    rt = runtime_of(request)
    client = client_address(request, rt.settings.trusted_proxies)
    rt.limiters.subscriptions.take(network_of(client))
    # in a thread: checking an apprise URL loads apprise's plugins, and the store may wait
    return await run_in_threadpool(_ask, notifier_of(rt), body)


def _ask(notifier: Notifier, body: SubscribeIn) -> Asked:
    return notifier.ask(checked(notifier, body, label="self-service", active=False))


def checked(notifier: Notifier, body: SubscribeIn, *, label: str, active: bool) -> Subscription:
    """The subscription a request describes, checked, not kept yet."""
    kind, value = scope_from(body.service, body.owner, body.country)
    return notifier.subscriptions.new(
        channel=body.channel,
        target=body.url,
        scope_kind=kind,
        scope_value=value,
        min_level=LEVELS[body.min_level],
        lang=body.lang,
        label=label,
        active=active,
    )
