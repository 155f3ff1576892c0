"""The "Get alerts" form of a service page: a plain form post, answered with a page.

It asks exactly as `POST /api/v1/subscribe` does (the same limits, checks and confirmation
message), so a visitor without a script gets the same thing as a client of the API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from pydantic import ValidationError

from rasd.catalog.model import Service
from rasd.errors import RasdError, RateLimited
from rasd.http import asking
from rasd.http.body import read_body
from rasd.http.process import runtime_of
from rasd.web import i18n

_FORM_MAX_BYTES = 8 * 1024


async def ask(request: Request, service: Service, lang: str) -> tuple[int, dict[str, Any]]:
    """Ask for alerts about `service` with the posted form: the answer's status and view."""
    view: dict[str, Any] = {
        "page": "alerts",
        "lang": lang,
        "now": runtime_of(request).clock.now().isoformat(),
        "service": {"id": service.id, "name": service.display_name(lang)},
    }
    try:
        form = _fields(await read_body(request, _FORM_MAX_BYTES))
        body = asking.SubscribeIn.model_validate(
            {
                "channel": form.get("channel", ""),
                "url": form.get("url", "").strip(),
                "service": service.id,
                "min_level": form.get("min_level", "possible_problems"),
                "lang": lang,
            }
        )
        asked = await asking.ask(request, body)
    except ValidationError as exc:
        fields = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        return 422, {**view, "error": _why(fields, lang)}
    except RasdError as exc:
        return exc.status, {**view, "error": _why(_fields_of(exc), lang, exc)}
    answer = asking.answer(asked)
    message = answer["message"].get(lang) or answer["message"]["en"]
    return 200, {**view, "message": message, "created": asked.created}


def _fields(body: bytes) -> dict[str, str]:
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}


def _fields_of(exc: RasdError) -> set[str]:
    details = exc.details if isinstance(exc.details, list) else [exc.details]
    return {str(d.get("field")) for d in details if isinstance(d, dict)}


def _why(fields: set[str], lang: str, exc: RasdError | None = None) -> str:
    """What went wrong, in the visitor's language: the errors' own words are English."""
    t = i18n.strings(lang)
    if isinstance(exc, RateLimited):
        return t["alerts_waiting"] if "url" in fields else t["alerts_limited"]
    if fields & {"url", "channel"}:
        return t["alerts_bad_url"]
    return t["alerts_invalid"]
