from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse, StreamingResponse

from rasd.http.caching import CachingMiddleware, etag_of, matches


def _app() -> FastAPI:
    app = FastAPI()
    state = {"text": "one"}

    @app.get("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse(state["text"])

    @app.post("/text")
    async def change() -> PlainTextResponse:
        state["text"] = "two"
        return PlainTextResponse("changed")

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def gen() -> AsyncIterator[bytes]:
            yield b"data: 1\n\n"

        return StreamingResponse(gen(), media_type="text/event-stream")

    app.add_middleware(CachingMiddleware, max_age=7, rules=[("/static/", 300)])
    return app


def test_etag_and_304_follow_the_body() -> None:
    client = TestClient(_app())
    first = client.get("/text")
    assert first.headers["etag"] == etag_of(b"one")
    assert first.headers["cache-control"] == "public, max-age=7"
    cached = client.get("/text", headers={"if-none-match": first.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == first.headers["etag"]
    client.post("/text")
    changed = client.get("/text", headers={"if-none-match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.text == "two"


def test_streams_and_writes_are_left_alone() -> None:
    client = TestClient(_app())
    stream = client.get("/stream")
    assert "etag" not in stream.headers and stream.text == "data: 1\n\n"
    write = client.post("/text")
    assert "etag" not in write.headers


def test_if_none_match_lists_and_weak_tags() -> None:
    assert matches('"a", W/"b"', '"b"')
    assert matches("*", '"x"')
    assert not matches('"a"', '"b"')
