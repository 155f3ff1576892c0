"""Pages read again at the same version come from the lane in front of the framework, exactly
as the whole stack answered them the first time."""

from __future__ import annotations

import gzip
import threading
from datetime import timedelta

from fastapi.testclient import TestClient
from starlette.responses import Response

from rasd.clock import VirtualClock
from rasd.http.page_epoch import touch
from rasd.runtime import Runtime
from rasd.web.page_cache import DrawnPage, PageCache

_VARYING = {"date", "server"}


def _headers(response: object) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in _VARYING}  # type: ignore[attr-defined]


def test_a_page_read_again_is_the_same_answer_without_the_framework(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    lane = client.app.pages  # type: ignore[attr-defined]
    paths = ("/", "/services/whatsapp", "/history", "/api/v1/view/home", "/static/vendor/site.css")
    for path in paths:
        first = client.get(path, headers={"accept-language": "ar"})
        before = lane.answered
        again = client.get(path, headers={"accept-language": "ar"})
        assert lane.answered == before + 1, path
        assert again.status_code == first.status_code and again.content == first.content
        assert _headers(again) == _headers(first)
        assert again.headers["content-security-policy"]  # the guard's headers come along
        tagged = client.get(
            path, headers={"accept-language": "ar", "if-none-match": first.headers["etag"]}
        )
        assert tagged.status_code == 304 and not tagged.content
    # another language is another answer; a language switch (it sets a cookie) is never kept
    english = client.get("/", headers={"accept-language": "en"})
    assert 'lang="en"' in english.text
    before = lane.answered
    for _ in range(2):
        switched = client.get("/", params={"lang": "ar"})
        assert "set-cookie" in switched.headers
    assert lane.answered == before
    # the cookie it set is a key of its own
    assert 'lang="ar"' in client.get("/", headers={"accept-language": "en"}).text


def test_a_new_version_is_drawn_again(
    client: TestClient, runtime: Runtime, clock: VirtualClock
) -> None:
    lane = client.app.pages  # type: ignore[attr-defined]
    client.get("/services/telegram")
    before = lane.answered
    touch(runtime)
    client.get("/services/telegram")
    clock.advance(timedelta(minutes=1))
    client.get("/services/telegram")
    assert lane.answered == before
    client.get("/services/telegram")
    assert lane.answered == before + 1


def test_errors_and_unknown_pages_are_never_kept(client: TestClient) -> None:
    lane = client.app.pages  # type: ignore[attr-defined]
    for _ in range(2):
        assert client.get("/services/nope").status_code == 404
        assert client.get("/static/nope.css").status_code == 404
    assert lane.answered == 0


def test_a_part_of_a_file_is_asked_of_the_file_server(client: TestClient) -> None:
    lane = client.app.pages  # type: ignore[attr-defined]
    whole = client.get("/static/vendor/site.css")
    part = client.get("/static/vendor/site.css", headers={"range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == whole.content[:10]
    assert lane.answered == 0


def test_readers_who_miss_together_wait_for_one_drawing() -> None:
    cache = PageCache()
    release = threading.Event()
    draws = 0

    def draw() -> Response:
        nonlocal draws
        draws += 1
        release.wait(30)
        return Response(b"page", status_code=200)

    pages: list[DrawnPage] = []
    readers = [
        threading.Thread(target=lambda: pages.append(cache.get("/", (1, 0, 0), draw)))
        for _ in range(6)
    ]
    for reader in readers:
        reader.start()
    for _ in range(3000):  # until five of them wait for the first one's drawing
        if cache.waited == 5:
            break
        threading.Event().wait(0.01)
    release.set()
    for reader in readers:
        reader.join(30)
    assert cache.waited == 5 and draws == 1 and cache.drawn == 1
    assert len(pages) == 6 and all(page is pages[0] for page in pages)
    # a new version is drawn again, once
    assert cache.get("/", (2, 0, 0), draw) is not pages[0] and draws == 2


def test_when_the_drawing_fails_a_waiting_reader_draws_it_itself() -> None:
    cache = PageCache()
    started, release = threading.Event(), threading.Event()

    def failing() -> Response:
        started.set()
        release.wait(30)
        raise RuntimeError("the store went away")

    failed: list[BaseException] = []

    def first() -> None:
        try:
            cache.get("/", (1, 0, 0), failing)
        except RuntimeError as exc:
            failed.append(exc)

    drawer = threading.Thread(target=first)
    drawer.start()
    started.wait(30)
    got: list[DrawnPage] = []
    waiter = threading.Thread(
        target=lambda: got.append(cache.get("/", (1, 0, 0), lambda: Response(b"ok")))
    )
    waiter.start()
    for _ in range(3000):
        if cache.waited == 1:
            break
        threading.Event().wait(0.01)
    release.set()
    drawer.join(30)
    waiter.join(30)
    assert len(failed) == 1 and got[0].body == b"ok" and cache.drawn == 1


def _raw(client: TestClient, method: str, path: str, **headers: str) -> tuple[object, bytes]:
    with client.stream(method, path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


def test_a_page_is_gzipped_once_per_drawing_for_those_who_take_it(client: TestClient) -> None:
    lane = client.app.pages  # type: ignore[attr-defined]
    twins = ("/api/v1/view/services/whatsapp", "/api/v1/view/home")  # the pages' scripts read
    for path in ("/services/whatsapp", "/", *twins):
        plain, body = _raw(client, "GET", path, **{"accept-encoding": "identity"})
        kind = "application/json" if path in twins else "text/html; charset=utf-8"
        assert plain.headers["content-type"] == kind  # type: ignore[attr-defined]
        cache = client.app.state.page_cache  # type: ignore[attr-defined]
        drawn = cache.drawn
        for _ in range(2):  # drawn by the framework, then answered by the lane
            packed, raw = _raw(client, "GET", path, **{"accept-encoding": "gzip, br"})
            headers = packed.headers  # type: ignore[attr-defined]
            assert headers["content-encoding"] == "gzip" and gzip.decompress(raw) == body
            assert headers["content-type"] == kind
            assert int(headers["content-length"]) == len(raw) < len(body) // 3
            assert headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'  # type: ignore[attr-defined]
            assert "Accept-Encoding" in headers["vary"]
            assert headers["last-modified"] == plain.headers["last-modified"]  # type: ignore[attr-defined]
        assert cache.drawn == drawn  # the gzip copy came with the drawing
        assert "content-encoding" not in plain.headers  # type: ignore[attr-defined]
        assert "Accept-Encoding" in plain.headers["vary"]  # type: ignore[attr-defined]
    before = lane.answered
    again, _ = _raw(client, "GET", "/", **{"accept-encoding": "identity"})
    assert lane.answered == before + 1 and "content-encoding" not in again.headers  # type: ignore[attr-defined]


def test_a_304_names_the_coding_a_cache_holds(client: TestClient, runtime: Runtime) -> None:
    path = "/services/facebook"
    packed = client.get(path, headers={"accept-encoding": "gzip"})
    plain = client.get(path, headers={"accept-encoding": "identity"})
    for _ in range(2):  # through the framework the first time, the lane after
        tag = {"accept-encoding": "gzip", "if-none-match": packed.headers["etag"]}
        known = client.get(path, headers=tag)
        assert known.status_code == 304 and not known.content
        assert known.headers["etag"] == packed.headers["etag"]
        assert "Accept-Encoding" in known.headers["vary"]
    # a cache that holds the identity bytes and now asks for gzip gets the gzip bytes
    other = client.get(
        path, headers={"accept-encoding": "gzip", "if-none-match": plain.headers["etag"]}
    )
    assert other.status_code == 200 and other.text == plain.text
    assert other.headers["content-encoding"] == "gzip"
    # and a page drawn again at a new version answers the old tag from the framework too
    touch(runtime)
    tag = {"accept-encoding": "gzip", "if-none-match": packed.headers["etag"]}
    assert client.get(path, headers=tag).status_code == 304


def test_a_head_of_a_page_says_the_encoded_length(client: TestClient) -> None:
    # drawn for the HEAD (the routes answer GET only), then answered by the lane
    first, nothing = _raw(client, "HEAD", "/history", **{"accept-encoding": "gzip"})
    assert first.status_code == 200 and nothing == b""  # type: ignore[attr-defined]
    packed, raw = _raw(client, "GET", "/history", **{"accept-encoding": "gzip"})
    head, nothing = _raw(client, "HEAD", "/history", **{"accept-encoding": "gzip"})
    assert nothing == b""
    for answer in (first, head):
        headers = answer.headers  # type: ignore[attr-defined]
        assert headers["content-encoding"] == "gzip" and "Accept-Encoding" in headers["vary"]
        assert headers["content-length"] == str(len(raw))
        assert headers["etag"] == packed.headers["etag"]  # type: ignore[attr-defined]


def test_while_one_reader_draws_a_new_version_the_others_get_the_page_before() -> None:
    cache = PageCache()
    before = cache.get("/", (1, 0, 0), lambda: Response(b"before"))
    started, release = threading.Event(), threading.Event()

    def slow() -> Response:
        started.set()
        release.wait(30)
        return Response(b"after")

    drawn: list[DrawnPage] = []
    drawer = threading.Thread(target=lambda: drawn.append(cache.get("/", (2, 0, 0), slow)))
    drawer.start()
    started.wait(30)
    assert cache.get("/", (2, 0, 0), slow) is before and cache.stale == 1 and cache.waited == 0
    # a version newer still is not drawn beside it: one drawing of a page at a time
    assert cache.get("/", (3, 0, 0), slow) is before and cache.stale == 2
    release.set()
    drawer.join(30)
    assert drawn[0].body == b"after" and cache.get("/", (2, 0, 0), slow) is drawn[0]
    assert cache.drawn == 2
    assert cache.get("/", (3, 0, 0), lambda: Response(b"latest")).body == b"latest"


def test_the_lane_never_keeps_a_page_given_as_drawn_before(
    client: TestClient, runtime: Runtime
) -> None:
    from rasd.web.page_cache import _Drawing, page_version

    lane = client.app.pages  # type: ignore[attr-defined]
    first = client.get("/services/telegram")
    cache = client.app.state.page_cache  # type: ignore[attr-defined]
    (key,) = [k for k in cache._pages if k[0] == "/services/telegram"]
    touch(runtime)
    busy = cache._drawing[key] = _Drawing(page_version(runtime))  # another reader draws it
    answered = lane.answered
    for _ in range(2):
        stale = client.get("/services/telegram")
        assert stale.status_code == 200 and stale.headers["etag"] == first.headers["etag"]
    assert lane.answered == answered and cache.stale == 2  # each time through the framework
    del cache._drawing[key]
    busy.done.set()
    client.get("/services/telegram")  # drawn at the new version, and kept by the lane
    client.get("/services/telegram")
    assert lane.answered == answered + 1
