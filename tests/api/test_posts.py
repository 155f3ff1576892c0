from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from conftest import IMPORT_TOKEN, T0
from fastapi.testclient import TestClient
from tests_support import assert_error_shape

from rasd.assembly import build_runtime
from rasd.clock import VirtualClock, minute_of
from rasd.errors import Unavailable
from rasd.ingest.posts_import import RecentIds
from rasd.runtime import Runtime
from rasd.series import POSTS, WORLD, SeriesKey
from rasd.settings import Settings
from rasd.shell.app import create_app

INGEST = "ingest-token-for-tests"
AUTH = {"Authorization": f"Bearer {INGEST}"}


def _post(i: int, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"p{i}",
        "text": "WhatsApp is down, no messages go out",
        "created": T0.isoformat(),
        "author": f"a{i}",
        "country": "EG",
    }
    row.update(fields)
    return {k: v for k, v in row.items() if v is not None}


def _build(settings: Settings, clock: VirtualClock) -> Runtime:
    return build_runtime(settings, clock=clock, signals=True)


@pytest.fixture
def pusher(clock: VirtualClock) -> Iterator[Runtime]:
    settings = Settings(
        store_url="sqlite:///:memory:", ingest_tokens=[INGEST], import_tokens=[IMPORT_TOKEN]
    )
    rt = _build(settings, clock)
    yield rt
    rt.store.close()


@pytest.fixture
def api(pusher: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(pusher)) as c:
        yield c


def _count(rt: Runtime, region: str = WORLD, service: str = "whatsapp") -> int:
    m = minute_of(T0)
    return rt.store.total(SeriesKey(service, POSTS, region), m - 60, m + 60)


def test_a_batch_is_taken_and_counted_per_place(api: TestClient, pusher: Runtime) -> None:
    batch = [_post(1), _post(2, city="Cairo"), _post(3, text="facebook is not loading")]
    response = api.post("/api/v1/posts/batch", json=batch, headers=AUTH)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (3, 0) and body["id"]
    assert (_count(pusher), _count(pusher, "EG"), _count(pusher, "EG/Cairo")) == (2, 2, 1)
    assert _count(pusher, service="facebook") == 1


def test_ndjson_batch(api: TestClient, pusher: Runtime) -> None:
    lines = b"\n".join(orjson.dumps(_post(i)) for i in range(40)) + b"\n\n"
    headers = {**AUTH, "Content-Type": "application/x-ndjson"}
    response = api.post("/api/v1/posts/batch", content=lines, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 40
    assert _count(pusher) == 40


def test_posts_seen_before_are_dropped(api: TestClient, pusher: Runtime) -> None:
    first = api.post("/api/v1/posts/batch", json=[_post(1), _post(2), _post(1)], headers=AUTH)
    assert (first.json()["accepted"], first.json()["duplicates"]) == (2, 1)
    again = api.post("/api/v1/posts/batch", json=[_post(2), _post(3)], headers=AUTH)
    assert (again.json()["accepted"], again.json()["duplicates"]) == (1, 1)
    assert _count(pusher) == 3


def test_a_batch_sent_again_with_its_key_counts_once(api: TestClient, pusher: Runtime) -> None:
    headers = {**AUTH, "Idempotency-Key": "feed-7"}
    batch = [_post(i) for i in range(5)]
    first = api.post("/api/v1/posts/batch", json=batch, headers=headers)
    assert first.status_code == 202 and first.json()["id"] == "posts:k:feed-7"
    # another process would not know the ids: the key alone must keep the count right
    other = dataclasses.replace(pusher, recent_posts=RecentIds())
    with TestClient(create_app(other)) as other_api:
        again = other_api.post("/api/v1/posts/batch", json=batch, headers=headers)
    assert again.status_code == 202 and again.json()["accepted"] == 5
    assert _count(pusher) == 5


def test_a_failed_publish_does_not_mark_posts_as_seen(
    api: TestClient, pusher: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pusher.log.publish
    calls: list[str] = []

    async def flaky(kind: str, payload: Any, msg_id: str) -> None:
        calls.append(msg_id)
        if len(calls) == 1:
            raise Unavailable("the store did not take the write; try again", retry_after=1)
        await real(kind, payload, msg_id)

    monkeypatch.setattr(pusher.log, "publish", flaky)
    batch = [_post(1), _post(2)]
    failed = api.post("/api/v1/posts/batch", json=batch, headers=AUTH)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1"
    assert _count(pusher) == 0
    retried = api.post("/api/v1/posts/batch", json=batch, headers=AUTH)
    assert retried.json()["accepted"] == 2
    assert _count(pusher) == 2


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong"}, 403),
        ({"Authorization": "Basic abc"}, 401),
        ({"Authorization": "Bearer café".encode("latin-1")}, 403),
    ],
    ids=["no token", "wrong token", "not bearer", "not ascii"],
)
def test_pushing_needs_a_token(api: TestClient, pusher: Runtime, headers: Any, status: int) -> None:
    response = api.post("/api/v1/posts/batch", json=[_post(1)], headers=headers)
    assert response.status_code == status
    assert_error_shape(response.json())
    assert _count(pusher) == 0


def test_import_tokens_may_push_too(api: TestClient, pusher: Runtime) -> None:
    headers = {"Authorization": f"Bearer {IMPORT_TOKEN}"}
    assert api.post("/api/v1/posts/batch", json=[_post(1)], headers=headers).status_code == 202
    assert _count(pusher) == 1


def test_ingest_tokens_come_from_the_environment(
    clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RASD_INGEST_TOKENS", '["from-env-1", "from-env-2"]')
    rt = _build(Settings(store_url="sqlite:///:memory:"), clock)
    try:
        with TestClient(create_app(rt)) as c:
            good = {"Authorization": "Bearer from-env-2"}
            assert c.post("/api/v1/posts/batch", json=[_post(1)], headers=good).status_code == 202
            bad = {"Authorization": f"Bearer {INGEST}"}
            assert c.post("/api/v1/posts/batch", json=[_post(2)], headers=bad).status_code == 403
        assert _count(rt) == 1
    finally:
        rt.store.close()


def _bad_cases() -> list[tuple[str, Any, int, str | None, int | None]]:
    """(name, body, status, field named, index named)"""
    future = (T0 + timedelta(hours=1)).isoformat()
    return [
        ("missing text", [_post(1), _post(2, text=None)], 422, "text", 1),
        ("empty text", [_post(1, text="")], 422, "text", 0),
        ("unknown country", [_post(1), _post(2), _post(3, country="ZZ")], 422, "country", 2),
        ("city without country", [_post(1, country=None, city="Cairo")], 422, "city", 0),
        ("naive time", [_post(1, created="2021-10-04T11:00:00")], 422, "created", 0),
        ("not a time", [_post(1, created="yesterday")], 422, "created", 0),
        ("future time", [_post(1), _post(2, created=future)], 422, "created", 1),
        ("ancient time", [_post(1, created="1999-01-01T00:00:00Z")], 422, "created", 0),
        ("wrong type", [_post(1, author=7)], 422, "author", 0),
        ("bad language tag", [_post(1, lang="not a tag")], 422, "lang", 0),
        ("not an object", [_post(1), "text"], 422, None, 1),
        ("not a list", _post(1), 422, "$", None),
        ("empty batch", [], 422, "$", None),
    ]


@pytest.mark.parametrize(
    ("body", "status", "field", "index"),
    [case[1:] for case in _bad_cases()],
    ids=[case[0] for case in _bad_cases()],
)
def test_bad_input_is_refused_and_changes_nothing(
    api: TestClient,
    pusher: Runtime,
    body: Any,
    status: int,
    field: str | None,
    index: int | None,
) -> None:
    response = api.post(
        "/api/v1/posts/batch",
        content=orjson.dumps(body),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text
    error = assert_error_shape(response.json())
    assert error["code"] == "invalid_input"
    named = error["details"][0]
    assert named.get("field") == field, error
    assert named.get("index") == index, error
    assert pusher.store.series_keys(signal=POSTS) == []
    # nothing was marked as seen either: the good posts go in with the next batch
    assert api.post("/api/v1/posts/batch", json=[_post(1)], headers=AUTH).json()["accepted"] == 1


def test_bad_ndjson_lines_are_named_by_index(api: TestClient, pusher: Runtime) -> None:
    lines = [orjson.dumps(_post(0)), b"{oops", orjson.dumps(_post(2, country="XX"))]
    response = api.post(
        "/api/v1/posts/batch",
        content=b"\n".join(lines),
        headers={**AUTH, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 422
    details = assert_error_shape(response.json())["details"]
    assert [(d["index"], d["field"]) for d in details] == [(1, None), (2, "country")]
    assert pusher.store.series_keys(signal=POSTS) == []


def test_malformed_json(api: TestClient, pusher: Runtime) -> None:
    response = api.post(
        "/api/v1/posts/batch",
        content=b'[{"id": ',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert assert_error_shape(response.json())["code"] == "malformed_body"


def test_too_many_posts(api: TestClient, pusher: Runtime) -> None:
    pusher.settings.batch_max = 3
    response = api.post("/api/v1/posts/batch", json=[_post(i) for i in range(4)], headers=AUTH)
    assert response.status_code == 422
    assert assert_error_shape(response.json())["details"][0]["limit"] == 3
    assert pusher.store.series_keys(signal=POSTS) == []


def test_oversized_body(api: TestClient, pusher: Runtime) -> None:
    pusher.settings.body_max_bytes = 2048
    response = api.post("/api/v1/posts/batch", json=[_post(i) for i in range(50)], headers=AUTH)
    assert response.status_code == 413
    assert assert_error_shape(response.json())["code"] == "body_too_large"
    assert pusher.store.series_keys(signal=POSTS) == []


def test_bad_idempotency_key(api: TestClient, pusher: Runtime) -> None:
    headers = {**AUTH, "Idempotency-Key": "k" * 101}
    response = api.post("/api/v1/posts/batch", json=[_post(1)], headers=headers)
    assert response.status_code == 422
    assert assert_error_shape(response.json())["details"][0]["field"] == "Idempotency-Key"
    assert pusher.store.series_keys(signal=POSTS) == []
