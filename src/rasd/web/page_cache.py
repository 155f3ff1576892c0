"""Pages drawn once per change of what they show, and kept until the next change.

What a page shows changes when detection ticks a minute (counts, charts), when an incident or
event changes (the live stream's generation) or when something else a page shows is written
(official word, comments: `touch` in `rasd.http.page_epoch`). That triple is the page's
version; a page drawn at the current version is served as it is, byte for byte, with its ETag
and Last-Modified, and gzipped once when drawn for the readers who take it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from starlette.responses import Response

from rasd.clock import counted_until
from rasd.http.caching import etag_of, matches
from rasd.web import encodings

Version = tuple[int, int, int]
STALE = "rasd.stale"  # in a request's scope: it was answered with the page drawn before
SENT_CODINGS = ("gzip",)  # what pages are drawn in beside the identity
_MIN_ENCODED = 1024  # below this, gzip's header and the work cost more than they save


@dataclass(frozen=True, slots=True)
class DrawnPage:
    version: Version
    body: bytes
    status: int
    etag: str  # of the identity body; an encoded copy's adds its coding
    modified: str
    encoded: dict[str, bytes]  # coding -> the body in it


class _Drawing:
    """A page being drawn at one version; readers who ask for it meanwhile wait for it."""

    __slots__ = ("done", "page", "version")

    def __init__(self, version: Version) -> None:
        self.version = version
        self.done = threading.Event()
        self.page: DrawnPage | None = None


class PageCache:
    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self.drawn = 0  # pages drawn, for the benchmark and the tests
        self.waited = 0  # readers who waited for another's drawing, for the tests
        self.stale = 0  # readers given the page before while another drew the new one
        self._pages: OrderedDict[Hashable, DrawnPage] = OrderedDict()
        self._drawing: dict[Hashable, _Drawing] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Version, draw: Callable[[], Response]) -> DrawnPage:
        """The page at `version`, drawn by one reader only: when a change comes, a crowd of
        readers of one page all miss at once, and each drawing it would take every worker
        thread and the store's connections for the same bytes.

        While that one draws it, the others get the page as drawn before, if there is one
        (its `version` says so), rather than wait: a drawing under load takes from tens of
        milliseconds to seconds, every reader of the page would wait as long, and the page
        before is at most a tick old (the live stream brings the rest). And a page is drawn
        once at a time: a tick that changes many incidents bumps the version many times in a
        row, and each bump started another drawing of every page beside the last one's."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None and page.version == version:
                self._pages.move_to_end(key)
                return page
            waiting = self._drawing.get(key)
            if waiting is not None and page is not None:
                self.stale += 1
                return page
            if waiting is not None and waiting.version == version:
                self.waited += 1
            else:
                mine = self._drawing[key] = _Drawing(version)
                waiting = None
        if waiting is None:
            return self._draw(key, version, draw, mine)
        waiting.done.wait()
        if waiting.page is not None:
            return waiting.page
        return self._draw(key, version, draw, None)  # the one drawing it failed

    def _draw(
        self,
        key: Hashable,
        version: Version,
        draw: Callable[[], Response],
        drawing: _Drawing | None,
    ) -> DrawnPage:
        try:
            response = draw()
            body = bytes(response.body)
            # in the drawing thread, once: never on the event loop, never per reader
            page = DrawnPage(
                version,
                body,
                response.status_code,
                etag_of(body),
                formatdate(usegmt=True),
                {"gzip": encodings.gzipped(body)} if len(body) >= _MIN_ENCODED else {},
            )
        except BaseException:
            if drawing is not None:
                self._finish(key, drawing)
            raise
        with self._lock:
            self.drawn += 1
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
        if drawing is not None:
            drawing.page = page
            self._finish(key, drawing)
        return page

    def _finish(self, key: Hashable, drawing: _Drawing) -> None:
        with self._lock:
            if self._drawing.get(key) is drawing:
                del self._drawing[key]
        drawing.done.set()


def page_version(runtime: Any) -> Version:
    engine = runtime.engine
    hub = runtime.live.made
    ticked = counted_until(getattr(engine, "last_minute", None), runtime.clock.now())
    return (ticked, hub.generation if hub is not None else 0, runtime.page_epoch.value)


# -- in front of the framework -------------------------------------------------------------

# what a crowd reads: the pages, their JSON twins the pages' scripts reload, the static assets
_PAGE_PATHS = (
    "/services/",
    "/events/",
    "/history",
    "/api/v1/view/",
    "/static/",
)
_MAX_KEY = 2048  # a request whose varying parts are longer than this is drawn as usual
_MAX_BODY = 4 << 20  # larger answers are sent as usual each time


@dataclass(frozen=True, slots=True)
class _Answer:
    version: Version
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes


def _is_page(scope: Any) -> bool:
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    path: str = scope["path"]
    return path == "/" or path.startswith(_PAGE_PATHS)


class PageLane:
    """Answers a page read again, at the same version, with the bytes and headers the whole
    stack sent the first time, before the framework and its middleware are even entered.

    A request differs from another only by its path, query, language cookie, Accept-Language
    and the coding its Accept-Encoding takes (all that the pages vary on); what set a cookie or
    failed is never kept.
    """

    def __init__(self, runtime: Any, app: Callable[..., Any], size: int = 1024) -> None:
        self.runtime = runtime
        self.app = app
        self.size = size
        self.answered = 0  # straight from here, for the tests and the benchmark
        self._answers: OrderedDict[Hashable, _Answer] = OrderedDict()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not _is_page(scope):
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        asked, answering = _as_get(scope, send) if head else (scope, send)
        key, if_none_match = _key_of(scope)
        if key is None:
            await self.app(asked, receive, answering)
            return
        version = page_version(self.runtime)
        answer = self._answers.get(key)
        if answer is not None and answer.version == version:
            self._answers.move_to_end(key)
            self.answered += 1
            await _replay(answer, head, if_none_match, send)
            return
        await self.app(asked, receive, self._recording(key, version, asked, answering))

    def _recording(self, key: Hashable, version: Version, scope: Any, send: Any) -> Any:
        head: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def record(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                head["status"] = message["status"]
                head["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body" and head.get("status") == 200:
                chunks.append(message.get("body", b""))
                # a page given as drawn before, while its new version is drawn, is not this
                # version's answer
                if not message.get("more_body", False) and not scope.get(STALE):
                    self._keep(key, version, head["headers"], b"".join(chunks))

        return record

    def _keep(
        self, key: Hashable, version: Version, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> None:
        names = {name.lower() for name, _ in headers}
        if b"set-cookie" in names or b"etag" not in names or not 0 < len(body) <= _MAX_BODY:
            return
        etag = next(value for name, value in headers if name.lower() == b"etag")
        self._answers[key] = _Answer(version, headers, body, etag)
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)


def _as_get(scope: Any, send: Any) -> tuple[Any, Any]:
    """A HEAD asked of the routes as a GET whose body is not sent: the routes answer GET only,
    and a HEAD's headers are the GET's, the encoded length included."""

    async def headless(message: Any) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return {**scope, "method": "GET"}, headless


def _key_of(scope: Any) -> tuple[Hashable | None, bytes | None]:
    cookie = language = coding = b""
    if_none_match: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"cookie":
            cookie += value
        elif name == b"accept-language":
            language = value
        elif name == b"accept-encoding":
            coding = value
        elif name == b"if-none-match":
            if_none_match = value
        elif name == b"range":
            return None, None  # a part of a file is the file server's business
    query: bytes = scope.get("query_string", b"")
    if b"lang=" in query or len(cookie) + len(language) + len(query) > _MAX_KEY:
        return None, None  # a language switch sets a cookie: drawn, never replayed
    # what the drawn page is sent in, not the header as written: a few keys, not one a browser
    taken = encodings.chosen(((b"accept-encoding", coding),), SENT_CODINGS) if coding else None
    return (scope["path"], query, _lang_cookie(cookie), language, taken), if_none_match


def _lang_cookie(cookie: bytes) -> bytes:
    for part in cookie.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == b"lang":
            return value
    return b""


async def _replay(answer: _Answer, head_only: bool, if_none_match: bytes | None, send: Any) -> None:
    if if_none_match is not None and matches(if_none_match.decode("latin-1"), answer.etag.decode()):
        headers = [(n, v) for n, v in answer.headers if n.lower() != b"content-length"]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
    await send({"type": "http.response.body", "body": b"" if head_only else answer.body})
