"""Pages of the list routes: `limit` and `offset` in, the same page fields out everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel

Limit = Annotated[int, Query(ge=1, le=1000, description="Most items in the answer")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Items to skip first")]


class Page(BaseModel):
    count: int
    total: int
    limit: int
    offset: int
    next_offset: int | None


def page_fields(limit: int, offset: int, count: int, total: int) -> dict[str, Any]:
    """What a list answer says about its page; `next_offset` is None on the last one."""
    following = offset + count
    return {
        "count": count,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": following if following < total else None,
    }
