"""Subscriptions, deliveries (and their dead letters), official statements.

An admin token makes a subscription active at once; anyone else asks through
rasd.api.subscribe, and the subscription waits until it is confirmed from its own channel.
A service's operator posts statements with a token of scope `statements:<service>` (or an
admin token).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from rasd.api.paging import Limit, Offset, Page, page_fields
from rasd.api.shapes import errors
from rasd.api.subscribe import SubscriptionOut
from rasd.errors import NotFound, field_error
from rasd.http.asking import SubscribeIn, checked
from rasd.http.page_epoch import touch
from rasd.http.process import require, runtime_of
from rasd.http.responses import JSON
from rasd.notify.notifier import Notifier, notifier_of
from rasd.runtime import Runtime
from rasd.store.rows import IncidentRow
from rasd.tokens import TokenStore

router = APIRouter(prefix="/api/v1")


def _notifier(request: Request) -> Notifier:
    return notifier_of(runtime_of(request))


# -- shapes ------------------------------------------------------------------------------
class SubscriptionIn(SubscribeIn):
    label: str = Field("", max_length=200)


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


# -- subscriptions -----------------------------------------------------------------------
_BY_ACTIVE: dict[bool | None, tuple[str, ...] | None] = {
    True: ("active",),
    False: ("pending", "ended"),
    None: None,
}


@router.post(
    "/subscriptions",
    tags=["alerts"],
    summary="Subscribe a webhook or an apprise URL (admin)",
    status_code=201,
    response_model=SubscriptionCreated,
    responses=errors(401, 403, 404, 422),
)
async def create_subscription(request: Request, body: SubscriptionIn) -> JSON:
    require(request, "admin")
    notifier = _notifier(request)
    sub = notifier.subscriptions.keep(checked(notifier, body, label=body.label, active=True))
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
    active: bool | None = Query(True, description="false: those waiting and those ended"),
    state: Literal["active", "pending", "ended"] | None = Query(
        None, description="Only those in this state (instead of `active`)"
    ),
    limit: Limit = 100,
    offset: Offset = 0,
) -> JSON:
    require(request, "admin")
    states: tuple[str, ...] | None = _BY_ACTIVE[active] if state is None else (state,)
    subs, total = _notifier(request).subscriptions.page(states=states, limit=limit, offset=offset)
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
    require(request, "admin")
    return JSON(_notifier(request).subscriptions.get(subscription_id).public())


@router.delete(
    "/subscriptions/{subscription_id}",
    tags=["alerts"],
    summary="End a subscription (admin)",
    response_model=SubscriptionOut,
    responses=errors(401, 403, 404),
)
async def delete_subscription(request: Request, subscription_id: str) -> JSON:
    require(request, "admin")
    subs = _notifier(request).subscriptions
    subs.deactivate(subscription_id)
    return JSON(subs.get(subscription_id).public())


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
    require(request, "admin")
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
    rt = runtime_of(request)
    require(request, "admin")
    now_ms = int(rt.clock.now().timestamp() * 1000)
    return JSON(_notifier(request).outbox.replay(delivery_id, now_ms).public())


# -- statements --------------------------------------------------------------------------
def _author(rt: Runtime, token: str) -> str:
    tokens: TokenStore | None = rt.tokens
    info = tokens.describe(token) if tokens is not None else None
    if info is None:
        return "admin"
    return info.label or info.id


def _incident_of(rt: Runtime, service: str, incident_id: str | None) -> IncidentRow | None:
    if incident_id is None:
        return rt.store.open_incidents(service).get(service)
    row = rt.store.get_incident(incident_id)
    if row is not None and row.service == service:
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
    rt = runtime_of(request)
    service = rt.catalog.get(service_id)
    token = require(request, f"statements:{service.id}")
    incident = _incident_of(rt, service.id, body.incident)
    notifier = _notifier(request)
    statement = notifier.statements.add(
        service=service.id,
        status=body.status,
        message=body.message.model_dump(exclude_none=True),
        author=_author(rt, token),
        incident_id=None if incident is None else incident.id,
    )
    queued = notifier.statement(statement, None if incident is None else incident.data)
    touch(rt)  # the service's page shows the statement from now on
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
    rt = runtime_of(request)
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
