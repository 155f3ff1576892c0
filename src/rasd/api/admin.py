"""Subscriptions, deliveries (and their dead letters), official statements, unsubscribing.

Making a subscription takes an admin token: an open form that makes Rasd post to any URL or
send mail to any address would be a tool for abuse. Leaving needs only the signed link every
message carries. A service's operator posts statements with a token of scope
`statements:<service>` (or an admin token).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from rasd.api.paging import Limit, Offset, Page, page_fields
from rasd.api.responses import JSON
from rasd.api.shapes import errors
from rasd.errors import InvalidInput, NotFound, field_error
from rasd.notify.notifier import Notifier, notifier_of
from rasd.notify.subscriptions import LEVELS
from rasd.runtime import Runtime
from rasd.tokens import TokenStore

router = APIRouter(prefix="/api/v1")

_UNSUBSCRIBED = {
    "en": "You will not get these messages any more.",
    "ar": "لن تصلك هذه الرسائل بعد الآن.",
}


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _notifier(request: Request) -> Notifier:
    return notifier_of(_runtime(request))


# -- shapes ------------------------------------------------------------------------------
class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["webhook", "apprise"]
    url: str = Field(min_length=1, max_length=2000, description="Webhook URL, or apprise URL")
    service: str | None = Field(None, max_length=64, description="Only this service")
    owner: str | None = Field(None, max_length=64, description="Only this owner's services")
    country: str | None = Field(None, max_length=2, description="Only services of this country")
    min_level: Literal["possible_problems", "problems_detected"] = "possible_problems"
    lang: Literal["en", "ar"] = "en"
    label: str = Field("", max_length=200)


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


class SubscriptionCreated(BaseModel):
    subscription: SubscriptionOut
    secret: str | None = Field(description="The webhook signing secret, shown only now")
    unsubscribe_url: str


class SubscriptionList(Page):
    subscriptions: list[SubscriptionOut]


class DeliveryOut(BaseModel):
    id: int
    subscription: str
    kind: str
    service: str
    incident: str | None
    status: Literal["pending", "sent", "dead", "cancelled"]
    attempts: int
    created_at: str
    next_attempt_at: str | None
    sent_at: str | None
    last_error: str | None


class DeliveryList(Page):
    deliveries: list[DeliveryOut]


class Message(BaseModel):
    en: str | None = Field(None, max_length=5000)
    ar: str | None = Field(None, max_length=5000)


class StatementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["investigating", "identified", "monitoring", "resolved"]
    message: Message
    incident: str | None = Field(
        None, max_length=128, description="The incident it is about; default: the open one"
    )


class StatementOut(BaseModel):
    id: str
    service: str
    incident: str | None
    status: Literal["investigating", "identified", "monitoring", "resolved"]
    message: dict[str, str]
    author: str
    created_at: str


class StatementPosted(BaseModel):
    statement: StatementOut
    queued: int = Field(description="Messages queued to subscribers")


class StatementList(Page):
    statements: list[StatementOut]


class Unsubscribed(BaseModel):
    subscription: str
    unsubscribed: bool = Field(description="False when it had been left before")
    message: dict[str, str]


# -- subscriptions -----------------------------------------------------------------------
@router.post(
    "/subscriptions",
    tags=["alerts"],
    summary="Subscribe a webhook or an apprise URL (admin)",
    status_code=201,
    response_model=SubscriptionCreated,
    responses=errors(401, 403, 404, 422),
)
async def create_subscription(request: Request, body: SubscriptionIn) -> JSON:
    rt = _runtime(request)
    rt.auth.require(request, "admin")
    chosen = [(k, v) for k, v in (("service", body.service), ("owner", body.owner)) if v]
    if body.country:
        chosen.append(("country", body.country))
    if len(chosen) > 1:
        raise InvalidInput(
            "subscribe to one service, one owner, one country, or (none of them) to everything",
            details=[field_error(k, "only one scope") for k, _ in chosen],
        )
    kind, value = chosen[0] if chosen else ("all", "")
    notifier = _notifier(request)
    sub = notifier.subscriptions.create(
        channel=body.channel,
        target=body.url,
        scope_kind=kind,
        scope_value=value,
        min_level=LEVELS[body.min_level],
        lang=body.lang,
        label=body.label,
    )
    return JSON(
        {
            "subscription": sub.public(),
            "secret": sub.secret,
            "unsubscribe_url": f"{notifier.public_url}/api/v1/unsubscribe?token="
            + notifier.links.token(sub.id),
        },
        status_code=201,
    )


@router.get(
    "/subscriptions",
    tags=["alerts"],
    summary="Subscriptions, oldest first (admin)",
    response_model=SubscriptionList,
    responses=errors(401, 403, 422),
)
async def list_subscriptions(
    request: Request,
    active: bool | None = True,
    limit: Limit = 100,
    offset: Offset = 0,
) -> JSON:
    _runtime(request).auth.require(request, "admin")
    subs, total = _notifier(request).subscriptions.page(active=active, limit=limit, offset=offset)
    page = page_fields(limit, offset, len(subs), total)
    return JSON({"subscriptions": [s.public() for s in subs], **page})


@router.get(
    "/subscriptions/{subscription_id}",
    tags=["alerts"],
    summary="One subscription (admin)",
    response_model=SubscriptionOut,
    responses=errors(401, 403, 404),
)
async def get_subscription(request: Request, subscription_id: str) -> JSON:
    _runtime(request).auth.require(request, "admin")
    return JSON(_notifier(request).subscriptions.get(subscription_id).public())


@router.delete(
    "/subscriptions/{subscription_id}",
    tags=["alerts"],
    summary="End a subscription (admin)",
    response_model=SubscriptionOut,
    responses=errors(401, 403, 404),
)
async def delete_subscription(request: Request, subscription_id: str) -> JSON:
    _runtime(request).auth.require(request, "admin")
    subs = _notifier(request).subscriptions
    subs.deactivate(subscription_id)
    return JSON(subs.get(subscription_id).public())


async def _unsubscribe(request: Request, token: str) -> JSON:
    notifier = _notifier(request)
    subscription_id = notifier.links.subscription_of(token)
    if subscription_id is None:
        raise NotFound(
            "this unsubscribe link is not valid",
            details=[field_error("token", "not genuine")],
        )
    changed = notifier.subscriptions.deactivate(subscription_id)
    return JSON(
        {"subscription": subscription_id, "unsubscribed": changed, "message": _UNSUBSCRIBED}
    )


@router.get(
    "/unsubscribe",
    tags=["alerts"],
    summary="Leave, with the signed link from any message",
    response_model=Unsubscribed,
    responses=errors(404, 422),
)
async def unsubscribe(request: Request, token: str = Query(max_length=200)) -> JSON:
    return await _unsubscribe(request, token)


@router.post(
    "/unsubscribe",
    tags=["alerts"],
    summary="Leave in one click (RFC 8058), with the signed link from any message",
    response_model=Unsubscribed,
    responses=errors(404, 422),
)
async def unsubscribe_post(request: Request, token: str = Query(max_length=200)) -> JSON:
    return await _unsubscribe(request, token)


# -- deliveries --------------------------------------------------------------------------
@router.get(
    "/admin/deliveries",
    tags=["alerts"],
    summary="Messages sent or waiting; status=dead is the dead-letter list (admin)",
    response_model=DeliveryList,
    responses=errors(401, 403, 422),
)
async def list_deliveries(
    request: Request,
    status: Literal["pending", "sent", "dead", "cancelled"] | None = None,
    subscription: str | None = Query(None, max_length=32),
    limit: Limit = 100,
    offset: Offset = 0,
) -> JSON:
    _runtime(request).auth.require(request, "admin")
    rows, total = _notifier(request).outbox.page(
        status=status, subscription_id=subscription, limit=limit, offset=offset
    )
    page = page_fields(limit, offset, len(rows), total)
    return JSON({"deliveries": [d.public() for d in rows], **page})


@router.post(
    "/admin/deliveries/{delivery_id}/replay",
    tags=["alerts"],
    summary="Send a dead message again (admin)",
    response_model=DeliveryOut,
    responses=errors(401, 403, 404, 422),
)
async def replay_delivery(request: Request, delivery_id: int) -> JSON:
    rt = _runtime(request)
    rt.auth.require(request, "admin")
    now_ms = int(rt.clock.now().timestamp() * 1000)
    return JSON(_notifier(request).outbox.replay(delivery_id, now_ms).public())


# -- statements --------------------------------------------------------------------------
def _author(rt: Runtime, token: str) -> str:
    tokens: TokenStore | None = rt.extras.get("tokens")
    info = tokens.describe(token) if tokens is not None else None
    if info is None:
        return "admin"
    return info.label or info.id


def _incident_of(rt: Runtime, service: str, incident_id: str | None) -> dict[str, Any] | None:
    if incident_id is None:
        rows = rt.store.list_incidents(service=service, limit=1000)
        return next((r for r in rows if r.get("state") != "resolved"), None)
    row = rt.store.get_incident(incident_id)
    if row is not None and row.get("service") == service:
        return row
    raise NotFound(
        f"{service} has no incident {incident_id!r}",
        details=[field_error("incident", "unknown", value=incident_id)],
    )


@router.post(
    "/services/{service_id}/statements",
    tags=["statements"],
    summary="Post an official statement (token scope statements:<service>, or admin)",
    status_code=201,
    response_model=StatementPosted,
    responses=errors(401, 403, 404, 422),
)
async def post_statement(request: Request, service_id: str, body: StatementIn) -> JSON:
    rt = _runtime(request)
    service = rt.catalog.get(service_id)
    token = rt.auth.require(request, f"statements:{service.id}")
    incident = _incident_of(rt, service.id, body.incident)
    notifier = _notifier(request)
    statement = notifier.statements.add(
        service=service.id,
        status=body.status,
        message=body.message.model_dump(exclude_none=True),
        author=_author(rt, token),
        incident_id=None if incident is None else str(incident["id"]),
    )
    queued = notifier.statement(statement, incident)
    return JSON({"statement": statement, "queued": queued}, status_code=201)


@router.get(
    "/services/{service_id}/statements",
    tags=["statements"],
    summary="A service's official statements, newest first",
    response_model=StatementList,
    responses=errors(404, 422),
)
async def list_statements(
    request: Request,
    service_id: str,
    limit: Limit = 100,
    offset: Offset = 0,
) -> JSON:
    rt = _runtime(request)
    service = rt.catalog.get(service_id)
    rows, total = _notifier(request).statements.page(service=service.id, limit=limit, offset=offset)
    return JSON({"statements": rows, **page_fields(limit, offset, len(rows), total)})


@router.get(
    "/incidents/{incident_id}/statements",
    tags=["statements"],
    summary="An incident's official statements, oldest first: its timeline",
    response_model=StatementList,
    responses=errors(422),
)
async def incident_statements(
    request: Request,
    incident_id: str,
    limit: Limit = 100,
    offset: Offset = 0,
) -> JSON:
    rows, total = _notifier(request).statements.page(
        incident_id=incident_id, limit=limit, offset=offset, oldest_first=True
    )
    return JSON({"statements": rows, **page_fields(limit, offset, len(rows), total)})
