"""A comment as it is shown: its problem and country named in every language of the site."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasd.comments.book import Comment

if TYPE_CHECKING:
    from rasd.runtime import Runtime


def described(rt: Runtime, comment: Comment, public: dict[str, Any]) -> dict[str, Any]:
    """A comment with its problem's and country's names in both languages."""
    out = dict(public)
    out["problem_name"] = (
        {lang: rt.catalog.problem_name(comment.problem, lang) for lang in ("en", "ar")}
        if comment.problem
        else None
    )
    out["country_name"] = (
        {lang: rt.places.country_name(comment.country, lang) for lang in ("en", "ar")}
        if comment.country and rt.places.country_exists(comment.country)
        else None
    )
    return out
