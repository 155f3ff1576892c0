"""Comments on a service's page: anyone writes and reads them; admin tokens moderate.

Each network may write a few an hour. A comment with a link, or a text sent before, waits for
a moderator; the others are shown at once and go, as posts about their service, to the posts
signal. One held back goes there once a moderator shows it.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from rasd.api.paging import Limit, Offset, Page, page_fields
from rasd.api.shapes import errors
from rasd.comments import MAX_TEXT, Comment, CommentBook, clean, described
from rasd.errors import InvalidInput, field_error
from rasd.http.body import client_address
from rasd.http.page_epoch import touch
from rasd.http.process import require, runtime_of
from rasd.http.responses import JSON
from rasd.ingest.reports import network_of
from rasd.locale.regions import region_of
from rasd.runtime import Runtime
from rasd.signals.reports import key_hash

router = APIRouter(prefix="/api/v1", tags=["comments"])

# what a request may carry before it is cleaned: invisible characters come out, so a little
# more than the limit is let in and the limit is checked on what is kept
_RAW_TEXT = MAX_TEXT * 4


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=_RAW_TEXT, description="Up to 500 characters")
    problem: str | None = Field(None, max_length=32, description="One of the service's problems")
    country: str | None = Field(
        None,
        min_length=2,
        max_length=2,
        description="ISO 3166 alpha-2; default: the region of the browser's language",
    )
    lang: Literal["en", "ar"] | None = Field(None, description="The page's language")


class CommentOut(BaseModel):
    id: str
    service: str
    text: str
    problem: str | None
    country: str | None
    created_at: str
    problem_name: dict[str, str] | None = None
    country_name: dict[str, str] | None = None


class CommentPosted(BaseModel):
    comment: CommentOut
    held: bool = Field(description="Waiting for a moderator before it is shown")


class CommentList(Page):
    comments: list[CommentOut]


class ModeratedOut(CommentOut):
    lang: str | None
    state: Literal["shown", "held", "hidden"]
    reason: str | None
    network: str
    decided_at: str | None


class ModeratedList(Page):
    comments: list[ModeratedOut]


def book_of(rt: Runtime) -> CommentBook:
    return rt.comments


async def count_as_post(rt: Runtime, comment: Comment) -> None:
    """The comment to the posts signal, once: the message id is the comment's."""
    await rt.log.publish("posts", [comment.as_post()], f"comment:{comment.id}")


@router.post(
    "/services/{service_id}/comments",
    status_code=201,
    summary="Say what you see: a comment on the service's page",
    response_model=CommentPosted,
    responses=errors(404, 413, 422, 429, 503),
)
async def post_comment(request: Request, service_id: str, body: CommentIn) -> JSON:
    rt = runtime_of(request)
    service = rt.catalog.get(service_id)
    network = network_of(client_address(request, rt.settings.trusted_proxies))
    rt.limiters.comments.take(network)
    text = clean(body.text)
    if not 1 <= len(text) <= MAX_TEXT:
        raise InvalidInput(
            f"a comment has 1 to {MAX_TEXT} characters; this one has {len(text)}",
            details=[field_error("text", "length", length=len(text), limit=MAX_TEXT)],
        )
    if body.problem is not None and body.problem not in service.problems:
        raise InvalidInput(
            f"{body.problem!r} is not a problem type of {service.id}",
            details=[
                field_error(
                    "problem", "unknown", value=body.problem, allowed=list(service.problems)
                )
            ],
        )
    country = body.country.upper() if body.country else None
    if country is not None and not rt.places.country_exists(country):
        raise InvalidInput(
            f"{body.country!r} is not an ISO 3166 country code",
            details=[field_error("country", "unknown", value=body.country)],
        )
    if country is None:
        guessed = region_of(request.headers.get("accept-language"))
        country = guessed if guessed and rt.places.country_exists(guessed) else None
    comment = rt.comments.add(
        service=service.id,
        text=text,
        network=f"{key_hash(network):016x}",
        problem=body.problem,
        country=country,
        lang=body.lang,
    )
    if comment.state == "shown":
        touch(rt)  # the service's page shows it from now on
        await count_as_post(rt, comment)
    return JSON(
        {"comment": described(rt, comment, comment.public()), "held": comment.state == "held"},
        status_code=201,
    )


@router.get(
    "/services/{service_id}/comments",
    summary="What people say on the service's page, newest first",
    response_model=CommentList,
    responses=errors(404, 422),
)
async def list_comments(
    request: Request, service_id: str, limit: Limit = 20, offset: Offset = 0
) -> JSON:
    rt = runtime_of(request)
    service = rt.catalog.get(service_id)
    rows, total = book_of(rt).shown(service.id, limit=limit, offset=offset)
    return JSON(
        {
            "comments": [described(rt, c, c.public()) for c in rows],
            **page_fields(limit, offset, len(rows), total),
        }
    )


@router.get(
    "/admin/comments",
    summary="The moderator's queue: held comments, newest first (admin)",
    response_model=ModeratedList,
    responses=errors(401, 403, 422),
)
async def comment_queue(
    request: Request,
    state: Literal["held", "shown", "hidden"] = Query("held"),
    service: str | None = Query(None, max_length=64),
    limit: Limit = 100,
    offset: Offset = 0,
) -> JSON:
    rt = runtime_of(request)
    require(request, "admin")
    rows, total = book_of(rt).queue(state=state, service=service, limit=limit, offset=offset)
    return JSON(
        {
            "comments": [described(rt, c, c.moderated()) for c in rows],
            **page_fields(limit, offset, len(rows), total),
        }
    )


async def _decide(request: Request, comment_id: str, state: Literal["shown", "hidden"]) -> JSON:
    rt = runtime_of(request)
    require(request, "admin")
    comment, newly_shown = book_of(rt).decide(comment_id, state)
    touch(rt)
    if newly_shown:
        await count_as_post(rt, comment)
    return JSON(described(rt, comment, comment.moderated()))


@router.post(
    "/admin/comments/{comment_id}/approve",
    summary="Show a held (or hidden) comment (admin)",
    response_model=ModeratedOut,
    responses=errors(401, 403, 404, 503),
)
async def approve_comment(request: Request, comment_id: str) -> JSON:
    return await _decide(request, comment_id, "shown")


@router.post(
    "/admin/comments/{comment_id}/hide",
    summary="Hide a comment; it stays in the queue as hidden (admin)",
    response_model=ModeratedOut,
    responses=errors(401, 403, 404),
)
async def hide_comment(request: Request, comment_id: str) -> JSON:
    return await _decide(request, comment_id, "hidden")


@router.delete(
    "/admin/comments/{comment_id}",
    summary="Delete a comment for good (admin)",
    response_model=ModeratedOut,
    responses=errors(401, 403, 404),
)
async def delete_comment(request: Request, comment_id: str) -> JSON:
    rt = runtime_of(request)
    require(request, "admin")
    gone = book_of(rt).delete(comment_id)
    touch(rt)
    return JSON(described(rt, gone, gone.moderated()))
