"""The pages: home, service, event, history, each with a JSON twin under /api/v1/view/; and the
pages the confirmation and unsubscribe links of messages open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from rasd.errors import NotFound
from rasd.http.caching import matches
from rasd.http.process import runtime_of
from rasd.http.responses import JSON
from rasd.locale import direction, languages, words
from rasd.locale.regions import region_of
from rasd.web import alerts, assets, confirm, encodings, i18n, unsubscribe, views
from rasd.web.page_cache import STALE, PageCache, page_version

router = APIRouter(include_in_schema=True)

PAGE_MAX_AGE = 5
_TEMPLATES = Path(__file__).parent / "templates"
_COOKIE_AGE = 365 * 24 * 3600


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = i18n.number
    env.globals["utc"] = _utc_text
    env.globals["duration"] = _duration
    env.globals["asset"] = lambda name: assets.built().url(name)
    return env


def _utc_text(iso: str | None) -> str:
    """A time as `15:40 UTC` (with the date when not today on the server), for no-script readers."""
    if not iso:
        return ""
    when = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _duration(minutes: int, lang: str) -> str:
    t = i18n.strings(lang)
    hours, rest = divmod(int(minutes), 60)
    if hours:
        return i18n.digits(t["hours_short"].format(h=hours, m=rest), lang)
    return i18n.digits(t["minutes_short"].format(n=rest), lang)


_env = _environment()


def _lang(request: Request, lang: str | None = None) -> str:
    return i18n.choose(lang, request.cookies, request.headers.get("accept-language"))


def _render(
    request: Request,
    template: str,
    view: dict[str, Any],
    lang: str,
    *,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Response:
    t = i18n.strings(lang)
    said = words(lang)
    other = i18n.other_language(lang)
    hub = runtime_of(request).live.made
    context = {
        "t": t,
        # a template's own messages: {{ _("...") }}, {{ ngettext("...", "...", n) }}
        "_": said,
        "ngettext": said.plural,
        "lang": lang,
        "dir": direction(lang),
        "other_lang": other,
        "path": request.url.path,
        "view": view,
        "client": {
            "lang": lang,
            "strings": i18n.client_strings(lang),
            "view": views.client_view(view),
            "region": region_of(request.headers.get("accept-language")),
            # what the live stream had told when this page was drawn: a page that connects
            # later than a change catches up
            "generation": hub.generation if hub is not None else None,
        },
        **(extra or {}),
    }
    html = _env.get_template(template).render(context)
    response = HTMLResponse(html, status_code=status)
    _headers(request, response)
    return response


def _headers(request: Request, response: Response) -> None:
    explicit = request.query_params.get("lang")
    if explicit in languages():
        # a switch of language is remembered, so this answer is the visitor's own
        response.set_cookie(
            i18n.COOKIE, explicit, max_age=_COOKIE_AGE, samesite="lax", httponly=True
        )
        response.headers["cache-control"] = "private, no-cache"
    else:
        response.headers["cache-control"] = f"public, max-age={PAGE_MAX_AGE}"
    response.headers["vary"] = "Accept-Language, Cookie"


def _page(
    request: Request, template: str, build: Callable[[str], dict[str, Any]], lang: str | None
) -> Response:
    language = _lang(request, lang)

    def draw() -> Response:
        try:
            view = build(language)
        except NotFound:
            return _render(request, "missing.html", {"page": "missing"}, language, status=404)
        return _render(request, template, view, language)

    return drawn_once(request, language, draw)


def drawn_once(
    request: Request,
    language: str,
    draw: Callable[[], Response],
    media_type: str = "text/html; charset=utf-8",
) -> Response:
    """The page as drawn since what it shows last changed; a 304 for a tag still current.

    A crowd reading one page during an outage costs one drawing per change, not one per
    reader: between changes every reader gets the same bytes, and live updates carry the rest.
    """
    rt = runtime_of(request)
    cache: PageCache | None = getattr(request.app.state, "page_cache", None)
    if cache is None:
        cache = request.app.state.page_cache = PageCache()
    key = (
        request.url.path,
        tuple(sorted(request.query_params.multi_items())),
        language,
        region_of(request.headers.get("accept-language")),
    )
    version = page_version(rt)
    page = cache.get(key, version, draw)
    if page.version != version:
        request.scope[STALE] = True  # the lane in front does not keep it as this version's
    coding = encodings.chosen(request.headers.raw, page.encoded)
    etag = encodings.tagged(page.etag, coding)
    if_none_match = request.headers.get("if-none-match")
    if page.status == 200 and if_none_match and matches(if_none_match, etag):
        response: Response = Response(status_code=304)
    else:
        body = page.body if coding is None else page.encoded[coding]
        response = Response(body, status_code=page.status, media_type=media_type)
        if coding is not None:
            response.headers["content-encoding"] = coding
    response.headers["etag"] = etag
    response.headers["last-modified"] = page.modified
    _headers(request, response)
    response.headers["vary"] = "Accept-Language, Cookie, Accept-Encoding"
    return response


@router.get("/", response_class=HTMLResponse, summary="Home: services with problems now on top")
def home_page(
    request: Request,
    lang: str | None = None,
    category: str | None = Query(None, max_length=40),
    country: str | None = Query(None, max_length=2),
    q: str | None = Query(None, max_length=100),
) -> Response:
    rt = runtime_of(request)
    language = _lang(request, lang)

    def draw() -> Response:
        view = views.home(rt, language, category=category or None, country=_country(country))
        found = None
        if q:
            found = [
                {"id": s.id, "name": s.display_name(language)} for s in rt.catalog.find(q, limit=20)
            ]
        return _render(request, "home.html", view, language, extra={"query": q, "found": found})

    return drawn_once(request, language, draw)


def _country(value: str | None) -> str | None:
    return value.upper() if value and len(value) == 2 and value.isalpha() else None


@router.get("/services/{service_id}", response_class=HTMLResponse, summary="A service's page")
def service_page(request: Request, service_id: str, lang: str | None = None) -> Response:
    rt = runtime_of(request)
    language = _lang(request, lang)

    def draw() -> Response:
        try:
            view = views.service(rt, service_id, language)
        except NotFound:
            return _render(request, "missing.html", {"page": "missing"}, language, status=404)
        countries = views.countries_named(rt, set(rt.places.countries), language)
        extra = {"all_countries": countries}
        return _render(request, "service.html", view, language, extra=extra)

    return drawn_once(request, language, draw)


@router.post(
    "/services/{service_id}/alerts",
    response_class=HTMLResponse,
    summary="Ask for alerts with a service page's form; the answer is a page",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "channel": {"type": "string", "enum": ["apprise", "webhook"]},
                            "url": {"type": "string", "maxLength": 2000},
                            "min_level": {
                                "type": "string",
                                "enum": ["possible_problems", "problems_detected"],
                            },
                        },
                        "required": ["channel", "url"],
                    }
                }
            },
        }
    },
)
async def service_alerts(request: Request, service_id: str, lang: str | None = None) -> Response:
    rt = runtime_of(request)
    # the form names the language it was filled in (`?lang=`): the alerts speak it too
    language = _lang(request, lang)
    if service_id not in rt.catalog:
        return _render(request, "missing.html", {"page": "missing"}, language, status=404)
    status, view = await alerts.ask(request, rt.catalog.get(service_id), language)
    response = _render(request, "alerts.html", view, language, status=status)
    response.headers["cache-control"] = "no-store"
    return response


_CONFIRM_LINK = "/api/v1/subscribe/confirm"
_UNSUBSCRIBE_LINK = "/api/v1/unsubscribe"
_LINK_PAGE: dict[str, Any] = {
    "tags": ["alerts"],
    "response_class": HTMLResponse,
    "responses": {404: {"content": {"text/html": {}}, "description": "A page that says why"}},
}


@router.get(
    _CONFIRM_LINK,
    summary="The page a confirmation link opens: what it would confirm; it changes nothing",
    **_LINK_PAGE,
)
def confirm_page(request: Request, token: str = "", lang: str | None = None) -> Response:
    return _link_page(request, confirm.show, token, lang, _CONFIRM_LINK, "/alerts/confirm")


@router.post(
    "/alerts/confirm",
    summary="Confirm a subscription with its confirmation page's button; the answer is a page",
    **_LINK_PAGE,
)
def confirm_form(request: Request, token: str = "", lang: str | None = None) -> Response:
    return _link_page(request, confirm.confirm, token, lang, _CONFIRM_LINK, "/alerts/confirm")


@router.get(
    _UNSUBSCRIBE_LINK,
    summary="The page an unsubscribe link opens: what it would end; it changes nothing",
    **_LINK_PAGE,
)
def unsubscribe_page(request: Request, token: str = "", lang: str | None = None) -> Response:
    return _link_page(
        request, unsubscribe.show, token, lang, _UNSUBSCRIBE_LINK, "/alerts/unsubscribe"
    )


@router.post(
    "/alerts/unsubscribe",
    summary="End a subscription with its unsubscribe page's button; the answer is a page",
    **_LINK_PAGE,
)
def unsubscribe_form(request: Request, token: str = "", lang: str | None = None) -> Response:
    return _link_page(
        request, unsubscribe.leave, token, lang, _UNSUBSCRIBE_LINK, "/alerts/unsubscribe"
    )


def _link_page(
    request: Request, answer: confirm.Answer, token: str, lang: str | None, link: str, form: str
) -> Response:
    """The page a link of a message opens (`link`), or its button's answer (posted to `form`)."""
    language = _lang(request, lang)
    status, view = answer(runtime_of(request), token, language)
    action = form + "?" + urlencode({"token": token, "lang": language})
    # the language switch comes back to the link, token and all
    extra = {"action": action, "path": link + "?" + urlencode({"token": token})}
    response = _render(request, f"{view['page']}.html", view, language, status=status, extra=extra)
    # a link's page belongs to whoever holds the link: no cache keeps it
    response.headers["cache-control"] = "no-store"
    return response


@router.get(
    "/services/{service_id}/history", response_class=HTMLResponse, summary="A service's incidents"
)
def service_history_page(request: Request, service_id: str, lang: str | None = None) -> Response:
    rt = runtime_of(request)
    return _page(request, "history.html", lambda lg: views.history(rt, lg, service_id), lang)


@router.get("/events/{event_id}", response_class=HTMLResponse, summary="An outage's whole story")
def event_page(request: Request, event_id: str, lang: str | None = None) -> Response:
    rt = runtime_of(request)
    return _page(request, "event.html", lambda lg: views.event(rt, event_id, lg), lang)


@router.get("/history", response_class=HTMLResponse, summary="Past incidents")
def history_page(request: Request, lang: str | None = None) -> Response:
    rt = runtime_of(request)
    return _page(request, "history.html", lambda lg: views.history(rt, lg), lang)


@router.get("/lang/{code}", summary="Switch the language and go back")
async def switch_language(code: str, next: str = "/") -> Response:
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if code in languages():
        response.set_cookie(i18n.COOKIE, code, max_age=_COOKIE_AGE, samesite="lax", httponly=True)
    response.headers["cache-control"] = "no-store"
    return response


# Page handlers are plain functions: FastAPI runs them in its thread pool, so a page that reads
# a day of counts never holds up the live streams on the event loop.


# -- the JSON twins -------------------------------------------------------------------------
# drawn once per change like the pages, gzipped with them: the pages' scripts reload these
# while a crowd reads, and a service's twin is tens of kilobytes of counts
def _twin(request: Request, lang: str | None, build: Callable[[str], dict[str, Any]]) -> Response:
    language = _lang(request, lang)
    return drawn_once(request, language, lambda: JSON(build(language)), JSON.media_type)


@router.get("/api/v1/view/home", tags=["pages"], summary="What the home page shows")
def home_view(
    request: Request,
    lang: str | None = None,
    category: str | None = Query(None, max_length=40),
    country: str | None = Query(None, max_length=2),
) -> Response:
    rt = runtime_of(request)
    country = _country(country)
    return _twin(request, lang, lambda lg: views.home(rt, lg, category=category, country=country))


@router.get("/api/v1/view/services/{service_id}", tags=["pages"], summary="A service's page data")
def service_view(request: Request, service_id: str, lang: str | None = None) -> Response:
    rt = runtime_of(request)
    return _twin(request, lang, lambda lg: views.service(rt, service_id, lg))


@router.get("/api/v1/view/events/{event_id}", tags=["pages"], summary="An event's page data")
def event_view(request: Request, event_id: str, lang: str | None = None) -> Response:
    rt = runtime_of(request)
    return _twin(request, lang, lambda lg: views.event(rt, event_id, lg))


@router.get("/api/v1/view/history", tags=["pages"], summary="Past incidents")
def history_view(request: Request, lang: str | None = None, service: str | None = None) -> Response:
    rt = runtime_of(request)
    return _twin(request, lang, lambda lg: views.history(rt, lg, service))
