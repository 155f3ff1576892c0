"""People's own subscriptions: ask for alerts, confirm them from the channel, leave.

No token is needed to ask, because nothing but one message asking for confirmation reaches a
channel before someone who reads it follows its link (rasd.notify.confirmations). Asking is
limited per client network, and leaving needs only the signed link every message carries.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from rasd.api.shapes import errors
from rasd.errors import NotFound, field_error
from rasd.http.asking import SubscribeIn, answer, ask
from rasd.http.process import runtime_of
from rasd.http.responses import JSON
from rasd.locale import N_, each
from rasd.notify.notifier import Notifier, notifier_of
from rasd.notify.subscriptions import (
    WEBHOOK_URL,
    apprise_schemes,
)
from rasd.runtime import Runtime

router = APIRouter(prefix="/api/v1", tags=["alerts"])

_CONFIRMED = N_(
    "Confirmed: alerts will come to this address. Every message has a link to stop them."
)
_CONFIRMED_BEFORE = N_("This link was followed before; nothing changed.")
_UNSUBSCRIBED = N_("You will not get these messages any more.")


# -- shapes ------------------------------------------------------------------------------
class Scope(BaseModel):
    kind: Literal["all", "service", "owner", "country"]
    value: str | None


class SubscriptionOut(BaseModel):
    id: str
    channel: Literal["webhook", "apprise"]
    target: str
    scope: Scope
    min_level: Literal["possible_problems", "problems_detected"]
    lang: Literal["en", "ar"]
    label: str
    created_at: str
    active: bool
    state: Literal["active", "pending", "ended"] = Field(
        description="pending: waiting for its owner to follow the confirmation link"
    )
    confirm_by: str | None = Field(description="When a pending subscription lapses")


class Words(BaseModel):
    en: str
    ar: str


class SubscribeAnswer(BaseModel):
    subscription: SubscriptionOut
    created: bool = Field(
        description="False when this URL has this scope already (active, or waiting), and "
        "nothing was sent"
    )
    message: Words


class Confirmed(BaseModel):
    subscription: SubscriptionOut
    confirmed: bool = Field(description="False when the link was followed before")
    message: Words


class Unsubscribed(BaseModel):
    subscription: str
    unsubscribed: bool = Field(description="False when it had been left before")
    message: Words


def document(doc: dict[str, Any], rt: Runtime) -> None:
    """The request bodies as the subscriptions' checks take them: a webhook URL's pattern,
    the catalog's services and owners, ISO 3166 codes (any case), and one scope at most."""
    owners = sorted({service.owner for service in rt.catalog})
    countries = sorted(
        {
            spelled
            for code in rt.places.countries
            for spelled in (code, code.lower(), code.title(), code[0].lower() + code[1])
        }
    )
    named = {
        "service": [*rt.catalog.services, ""],
        "owner": [*owners, ""],
        "country": [*countries, ""],
    }
    nonempty = {"type": "string", "minLength": 1}
    apprise = f"^(?:{'|'.join(re.escape(scheme) for scheme in apprise_schemes())})://[!-~]+$"
    for name in ("SubscribeIn", "SubscriptionIn"):
        model = doc["components"]["schemas"][name]
        for field, values in named.items():
            model["properties"][field]["anyOf"][0]["enum"] = values
        model["allOf"] = [
            # one scope at most: a service, an owner or a country (none: everything)
            {
                "not": {
                    "anyOf": [
                        {"required": [a, b], "properties": {a: nonempty, b: nonempty}}
                        for a, b in (
                            ("service", "owner"),
                            ("service", "country"),
                            ("owner", "country"),
                        )
                    ]
                }
            },
            # a webhook's URL as check_target takes it; an apprise URL as apprise takes it (its
            # own list of services: a format the document names, apprise-url)
            {
                "anyOf": [
                    {
                        "properties": {
                            "channel": {"const": "apprise"},
                            "url": {"format": "apprise-url", "pattern": apprise},
                        }
                    },
                    {
                        "properties": {
                            "channel": {"const": "webhook"},
                            "url": {"pattern": f"^{WEBHOOK_URL}$"},
                        }
                    },
                ]
            },
        ]


# -- asking ------------------------------------------------------------------------------
@router.post(
    "/subscribe",
    summary="Ask for alerts to a webhook or an apprise URL; they start once confirmed from there",
    status_code=202,
    response_model=SubscribeAnswer,
    responses=errors(422, 429),
)
async def subscribe(request: Request, body: SubscribeIn) -> JSON:
    return JSON(answer(await ask(request, body)), status_code=202)


def _notifier(request: Request) -> Notifier:
    return notifier_of(runtime_of(request))


# A GET of the link only shows what it would confirm (rasd.web.confirm): mail scanners and
# link previews fetch links nobody followed.
@router.post(
    "/subscribe/confirm",
    summary="Confirm a subscription with the link of the message sent to its channel",
    operation_id="confirm_post",
    response_model=Confirmed,
    responses=errors(404, 422),
)
def confirm(request: Request, token: str = Query(min_length=1, max_length=200)) -> JSON:
    sub, fresh = _notifier(request).confirmations.confirm(token)
    words = _CONFIRMED if fresh else _CONFIRMED_BEFORE
    return JSON({"subscription": sub.public(), "confirmed": fresh, "message": each(words)})


# -- leaving -----------------------------------------------------------------------------
# As with confirming, a GET of the link only shows what it would end (rasd.web.unsubscribe).
@router.post(
    "/unsubscribe",
    summary="Leave in one click (RFC 8058), with the signed link from any message",
    operation_id="unsubscribe_post",
    response_model=Unsubscribed,
    responses=errors(404, 422),
)
def unsubscribe(request: Request, token: str = Query(max_length=200)) -> JSON:
    notifier = _notifier(request)
    subscription_id = notifier.links.subscription_of(token)
    if subscription_id is None:
        raise NotFound(
            "this unsubscribe link is not valid",
            details=[field_error("token", "not genuine")],
        )
    changed = notifier.subscriptions.deactivate(subscription_id)
    return JSON(
        {"subscription": subscription_id, "unsubscribed": changed, "message": each(_UNSUBSCRIBED)}
    )
