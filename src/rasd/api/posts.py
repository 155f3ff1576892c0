"""POST /api/v1/posts/batch: public posts pushed by a feed (JSON array or NDJSON).

Only holders of an ingest (or import) token may push. A batch is all or nothing: one bad post
refuses it, naming the post's index and field. Posts seen before (by id) are dropped and
counted in the answer; a batch re-sent with the same Idempotency-Key is taken once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request

from rasd.api.idempotency import message_id
from rasd.api.shapes import errors, from_struct
from rasd.errors import InvalidInput
from rasd.http.auth import bearer
from rasd.http.body import read_body
from rasd.http.process import require, runtime_of
from rasd.http.responses import JSON
from rasd.ingest.posts_import import RecentIds, TimeWindow, check_times, decode_post_batch
from rasd.runtime import Runtime
from rasd.signals.posts import Post

router = APIRouter(prefix="/api/v1", tags=["posts"])


# a post as `Post` decodes it and the batch checks it (null is absent)
_POST_SCHEMA: dict[str, Any] = {
    **from_struct(
        Post,
        {
            "created": {"description": "With a time zone."},
            "lang": {"description": "BCP 47 language tag, e.g. ar-EG."},
            "country": {"description": "ISO 3166 alpha-2 country code, in either case."},
            "city": {"description": "City name (needs country), without '/'."},
            "service": {"description": "The catalog service whose page the post was written on."},
        },
    ),
    # a city needs its country
    "allOf": [
        {
            "anyOf": [
                {"properties": {"city": {"type": "null"}}},
                {"required": ["country"], "properties": {"country": {"type": "string"}}},
            ]
        }
    ],
}
_ACCEPTED = {
    "202": {
        "description": "Accepted and durable; posts seen before are counted as duplicates.",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "accepted": {"type": "integer"},
                        "duplicates": {"type": "integer"},
                        "id": {"type": "string"},
                    },
                }
            }
        },
    }
}


def document(doc: dict[str, Any], rt: Runtime) -> None:
    """The batch as the route takes it: at least one post, at most the settings' batch."""
    body = doc["paths"]["/api/v1/posts/batch"]["post"]["requestBody"]["content"]
    body["application/json"]["schema"] = {
        "type": "array",
        "items": _POST_SCHEMA,
        "minItems": 1,
        "maxItems": rt.settings.batch_max,
    }


def require_pusher(rt: Runtime, request: Request) -> None:
    """Ingest tokens push signals; import tokens (replays over HTTP) may too."""
    if not rt.auth.allows(bearer(request), "import"):
        require(request, "ingest")


def recent_ids(rt: Runtime) -> RecentIds:
    return rt.recent_posts


@router.post(
    "/posts/batch",
    status_code=202,
    summary="Push public posts (JSON array or NDJSON); needs an ingest token",
    responses=errors(400, 401, 403, 413, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": _POST_SCHEMA}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        },
        "responses": _ACCEPTED,
    },
)
async def post_posts(request: Request) -> JSON:
    rt = runtime_of(request)
    require_pusher(rt, request)
    settings = rt.settings
    body = await read_body(request, settings.body_max_bytes)
    posts = decode_post_batch(body, request.headers.get("content-type", ""), settings.batch_max)
    if not posts:
        raise InvalidInput("the batch is empty", details=[{"field": "$", "reason": "empty"}])
    window = TimeWindow(
        future_skew=timedelta(seconds=settings.future_skew_seconds),
        max_age=timedelta(days=settings.import_max_age_days),
    )
    check_times(posts, rt.clock.now(), window)
    msg_id = message_id(request.headers.get("idempotency-key"), "posts")
    recent = recent_ids(rt)
    fresh = recent.claim(posts)
    if fresh:
        try:
            await rt.log.publish("posts", fresh, msg_id)
        except BaseException:
            recent.release(fresh)
            raise
    return JSON(
        {"accepted": len(fresh), "duplicates": len(posts) - len(fresh), "id": msg_id},
        status_code=202,
    )
