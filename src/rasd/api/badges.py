"""SVG status badges: a service's name and its status now, to put on any page or README."""

from __future__ import annotations

import unicodedata
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rasd.api.params import Lang, parse_lang
from rasd.api.shapes import errors
from rasd.http.process import runtime_of
from rasd.locale import direction, words
from rasd.locale.terms import level_phrase
from rasd.store.rows import level_now

router = APIRouter(tags=["badges"])

SVG = "image/svg+xml"
_COLORS = {0: "#2e7d32", 1: "#ef6c00", 2: "#c62828"}
_HEIGHT = 20
_PAD = 6
# badges are short: a fresh status matters more than saving requests
_MAX_AGE = 30


def text_width(text: str) -> int:
    """Pixels of `text` at 11px in a sans-serif face, estimated: no font files at run time."""
    width = 0.0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 11.0
        elif ch in "il.,:;|!'":
            width += 3.2
        elif ch.isupper() or ch in "mwMW":
            width += 8.0
        elif ch == " ":
            width += 3.6
        else:
            width += 6.6
    return int(width + 0.5)


def badge(label: str, message: str, color: str, rtl: bool = False) -> str:
    left = text_width(label) + 2 * _PAD
    right = text_width(message) + 2 * _PAD
    total = left + right
    # in Arabic the name reads first from the right, so the halves swap places
    label_x, message_x = (right, 0) if rtl else (0, left)
    direction = ' direction="rtl"' if rtl else ""
    title = escape(f"{label}: {message}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{_HEIGHT}" '
        f'role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        f'<rect x="{label_x}" width="{left}" height="{_HEIGHT}" fill="#555"/>'
        f'<rect x="{message_x}" width="{right}" height="{_HEIGHT}" fill="{color}"/>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" '
        f'font-size="11"{direction}>'
        f'<text x="{label_x + left / 2:.1f}" y="14">{escape(label)}</text>'
        f'<text x="{message_x + right / 2:.1f}" y="14">{escape(message)}</text>'
        f"</g></svg>"
    )


@router.get(
    "/badges/{service_id}.svg",
    summary="A service's status as an SVG badge",
    response_class=Response,
    responses={200: {"content": {SVG: {}}, "description": "An SVG image"}, **errors(404, 422)},
)
async def service_badge(request: Request, service_id: str, lang: Lang = None) -> Response:
    rt = runtime_of(request)
    language = parse_lang(lang)
    service = rt.catalog.get(service_id)
    level = min(level_now(rt.store.open_incidents(service.id).get(service.id)), 2)
    status = level_phrase(words(language), level)
    svg = badge(
        service.display_name(language), status, _COLORS[level], rtl=direction(language) == "rtl"
    )
    return Response(svg, media_type=SVG, headers={"Cache-Control": f"public, max-age={_MAX_AGE}"})
