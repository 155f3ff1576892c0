"""Pages read again at the same version come from the lane in front of the framework, exactly
as the whole stack answered them the first time."""

from __future__ import annotations

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
