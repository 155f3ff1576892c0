from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import pytest
from conftest import T0
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rasd.assembly import build_runtime
from rasd.cli import app as rasd_app
from rasd.clock import VirtualClock, minute_of
from rasd.errors import RasdError
from rasd.ingest.posts_import import HttpPostSink, PostImport, RecentIds, chunk_key
from rasd.runtime import Runtime
from rasd.series import POSTS, WORLD, SeriesKey
from rasd.settings import Settings
from rasd.shell.app import create_app
from rasd.signals.posts import Post
from rasd.store import open_store

INGEST = "ingest-token-for-import-tests"


def _line(i: int, **fields: Any) -> bytes:
    row: dict[str, Any] = {
        "id": f"p{i}",
        "text": "WhatsApp is down for me",
        "created": (T0 + timedelta(minutes=i % 3)).isoformat(),
        "author": f"a{i}",
    }
    row.update(fields)
    return orjson.dumps(row)


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _posts(i: int) -> Post:
    return Post(id=f"p{i}", text="x", created=T0, author="a")


def test_recent_ids_forget_the_oldest_beyond_capacity() -> None:
    recent = RecentIds(capacity=3)
    assert [p.id for p in recent.claim([_posts(1), _posts(2), _posts(1)])] == ["p1", "p2"]
    # p1 was seen again last, so p2 is now the oldest
    recent.claim([_posts(3), _posts(4)])
    assert len(recent) == 3 and "p2" not in recent and "p1" in recent and "p4" in recent
    recent.release([_posts(4)])
    assert [p.id for p in recent.claim([_posts(4), _posts(2), _posts(3)])] == ["p4", "p2"]
    with pytest.raises(ValueError):
        RecentIds(capacity=0)


def test_chunk_keys_name_the_posts_in_a_chunk() -> None:
    assert chunk_key([_posts(1), _posts(2)]) == chunk_key([_posts(1), _posts(2)])
    assert chunk_key([_posts(1), _posts(2)]) != chunk_key([_posts(2), _posts(1)])


def _file_with_problems(path: Path) -> Path:
    return _write(
        path,
        [
            _line(1),
            _line(2, country="EG"),
            b"{broken",
            _line(1),  # seen before: skipped, not an error
            _line(4, country="ZZ"),
            b"",
            _line(6, created="2021-10-04T12:00:00"),  # no time zone
            _line(7, text="facebook keeps logging me out"),
            *[_line(i) for i in range(8, 20)],
        ],
    )


def _store_total(url: str, service: str = "whatsapp", region: str = WORLD) -> int:
    store = open_store(url)
    try:
        m = minute_of(T0)
        return store.total(SeriesKey(service, POSTS, region), m - 10, m + 10)
    finally:
        store.close()


def test_import_into_the_store_skips_bad_lines_by_number(tmp_path: Path) -> None:
    source = _file_with_problems(tmp_path / "posts.jsonl")
    url = f"sqlite:///{tmp_path / 'rasd.db'}"
    runner = CliRunner()
    result = runner.invoke(
        rasd_app, ["posts", "import", str(source), "--store", url, "--batch-size", "4"]
    )
    assert result.exit_code == 0, result.output
    for number in (3, 5, 7):
        assert f"line {number}:" in result.output
    assert "line 4:" not in result.output and "line 6:" not in result.output
    assert _store_total(url) == 14 and _store_total(url, region="EG") == 1
    assert _store_total(url, service="facebook") == 1
    # the same file again: its chunks were taken before, nothing counts twice
    again = runner.invoke(
        rasd_app, ["posts", "import", str(source), "--store", url, "--batch-size", "4"]
    )
    assert again.exit_code == 0, again.output
    assert _store_total(url) == 14


def test_import_options_are_checked(tmp_path: Path) -> None:
    source = _write(tmp_path / "p.jsonl", [_line(1)])
    runner = CliRunner()
    both = runner.invoke(
        rasd_app,
        ["posts", "import", str(source), "--store", "sqlite://", "--server", "http://x"],
    )
    assert both.exit_code != 0 and "not both" in both.output
    missing = runner.invoke(rasd_app, ["posts", "import", str(tmp_path / "none.jsonl")])
    assert missing.exit_code != 0


def _as_httpx(client: TestClient) -> httpx.Client:
    # the app's test client is an httpx2 client: the same interface under another package
    return cast(httpx.Client, client)


@pytest.fixture
def served(clock: VirtualClock) -> Iterator[tuple[Runtime, TestClient]]:
    settings = Settings(store_url="sqlite:///:memory:", ingest_tokens=[INGEST])
    rt = build_runtime(settings, clock=clock, signals=True)
    with TestClient(create_app(rt)) as client:
        yield rt, client
    rt.store.close()


def _served_total(rt: Runtime) -> int:
    m = minute_of(T0)
    return rt.store.total(SeriesKey("whatsapp", POSTS, WORLD), m - 10, m + 10)


def test_import_over_http_skips_what_the_server_refuses(
    served: tuple[Runtime, TestClient], tmp_path: Path
) -> None:
    rt, client = served
    source = _write(
        tmp_path / "p.jsonl",
        [
            _line(1),
            _line(2, created=(T0 + timedelta(days=2)).isoformat()),  # ahead of the server
            b"[]",
            *[_line(i) for i in range(3, 10)],
        ],
    )
    sink = HttpPostSink("", INGEST, client=_as_httpx(client))
    stats = PostImport(sink, chunk_size=5).run(source)
    assert [e.line for e in stats.skipped] == [2, 3]
    assert "future" in stats.skipped[0].reason
    assert (stats.posts, stats.accepted, stats.duplicates) == (9, 8, 0)
    assert _served_total(rt) == 8
    # a second import: the server has seen every post
    again = PostImport(HttpPostSink("", INGEST, client=_as_httpx(client)), chunk_size=5).run(source)
    assert (again.accepted, again.duplicates) == (0, 8)
    assert _served_total(rt) == 8


def test_import_over_http_stops_on_a_refused_token(
    served: tuple[Runtime, TestClient], tmp_path: Path
) -> None:
    rt, client = served
    source = _write(tmp_path / "p.jsonl", [_line(1)])
    with pytest.raises(RasdError, match="HTTP 403"):
        PostImport(HttpPostSink("", "wrong", client=_as_httpx(client))).run(source)
    assert _served_total(rt) == 0


def test_import_over_http_waits_for_a_busy_server(
    served: tuple[Runtime, TestClient], tmp_path: Path
) -> None:
    rt, client = served
    rt.limiters.requests.burst = (
        1  # the posts route does not limit token holders: make it busy instead
    )
    waits: list[float] = []
    real = rt.log.publish
    busy = {"left": 2}

    async def publish(kind: str, payload: Any, msg_id: str) -> None:
        if busy["left"]:
            busy["left"] -= 1
            from rasd.errors import Unavailable

            raise Unavailable("busy", retry_after=3)
        await real(kind, payload, msg_id)

    rt.log.publish = publish  # type: ignore[method-assign]
    source = _write(tmp_path / "p.jsonl", [_line(i) for i in range(3)])
    sink = HttpPostSink("", INGEST, client=_as_httpx(client), sleep=waits.append)
    stats = PostImport(sink).run(source)
    assert waits == [3.0, 3.0]
    assert stats.accepted == 3 and _served_total(rt) == 3


def test_import_over_http_skips_more_refusals_than_one_answer_names(
    served: tuple[Runtime, TestClient], tmp_path: Path
) -> None:
    rt, client = served
    old = "1999-01-01T00:00:00Z"  # the server names at most 50 bad posts an answer
    lines = [_line(i, created=old) for i in range(120)] + [_line(500)]
    stats = PostImport(HttpPostSink("", INGEST, client=_as_httpx(client)), chunk_size=200).run(
        _write(tmp_path / "p.jsonl", lines)
    )
    assert [e.line for e in stats.skipped] == list(range(1, 121))
    assert all("older" in e.reason for e in stats.skipped)
    assert stats.accepted == 1 and _served_total(rt) == 1
