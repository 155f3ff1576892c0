"""The JetStream log against a real nats-server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from fastapi.testclient import TestClient
from tests_support import assert_error_shape

from bus.natsd import NATS_URL, free_port
from rasd.assembly import build_runtime
from rasd.bus import codec
from rasd.bus.nats import MSG_ID, JetStreamLog, StreamLimits, kind_of
from rasd.errors import RasdError, Unavailable
from rasd.settings import Settings
from rasd.shell.app import create_app
from rasd.signals.reports import ReportColumns

pytestmark = pytest.mark.nats

SERVICES = ("facebook", "instagram", "whatsapp", "messenger", "github", "telegram")


def _reports(n: int, first_reporter: int = 0) -> ReportColumns:
    return ReportColumns(
        ts_ms=np.full(n, 1_633_361_000_000, np.int64),
        service=(np.arange(n) % len(SERVICES)).astype(np.int32),
        problem=np.zeros(n, np.int16),
        place=np.zeros(n, np.int32),
        reporter=np.arange(first_reporter, first_reporter + n, dtype=np.uint64),
        network=np.arange(n, dtype=np.uint64),
        services=SERVICES,
        problems=("app",),
        places=("EG",),
    )


async def _drain(log: JetStreamLog, shard: int, ack: bool = True) -> list[tuple[str, str, object]]:
    sub = await log.restart_consumer(shard)
    out: list[tuple[str, str, object]] = []
    while True:
        try:
            msgs = await sub.fetch(100, timeout=0.5)
        except TimeoutError:
            return out
        for msg in msgs:
            kind = kind_of(msg.subject)
            out.append((kind, (msg.headers or {})[MSG_ID], codec.decode(kind, msg.data)))
            if ack:
                await msg.ack_sync()


async def test_reports_reach_their_service_shard_once(stream_name: str) -> None:
    log = JetStreamLog(NATS_URL, stream_name, StreamLimits(shards=3))
    await log.publish("reports", _reports(60), "batch-1")
    await log.publish("reports", _reports(60), "batch-1")  # resent: JetStream drops it
    await log.publish("reports", _reports(12, 1000), "batch-2")
    assert await log.pending() == 2 * len({codec.shard_of(s, 3) for s in SERVICES})
    seen: dict[str, int] = {}
    for shard in range(3):
        for kind, msg_id, cols in await _drain(log, shard):
            assert kind == "reports" and isinstance(cols, ReportColumns)
            assert {codec.shard_of(s, 3) for s in cols.services} == {shard}
            assert msg_id.endswith(f"/{shard}")
            for service in cols.services:
                seen[service] = seen.get(service, 0) + 1
            seen["rows"] = seen.get("rows", 0) + len(cols)
    assert seen.pop("rows") == 72
    assert seen == {s: 2 for s in SERVICES}
    assert await log.pending() == 0  # acknowledged messages leave a work queue
    await log.close()


async def test_unacknowledged_messages_come_back_in_order(stream_name: str) -> None:
    log = JetStreamLog(NATS_URL, stream_name, StreamLimits(shards=1))
    for i in range(5):
        await log.publish("reports", _reports(1, i), f"m{i}")
    await log.mark(1)
    first = await _drain(log, 0, ack=False)
    assert [m[1] for m in first] == ["m0", "m1", "m2", "m3", "m4", "mark:1:0"]
    # a new owner of the shard starts over at the oldest message nobody acknowledged
    again = await _drain(log, 0, ack=True)
    assert [m[1] for m in again] == [m[1] for m in first]
    assert again[-1][0] == "mark" and again[-1][2] == 1
    assert await _drain(log, 0) == []
    await log.close()


async def test_a_full_log_answers_unavailable_and_keeps_what_it_took(stream_name: str) -> None:
    assert len({codec.shard_of(s, 2) for s in SERVICES}) == 2
    log = JetStreamLog(NATS_URL, stream_name, StreamLimits(shards=2, max_msgs=25))
    taken = 0
    with pytest.raises(Unavailable) as raised:
        for i in range(100):
            await log.publish("reports", _reports(40, i * 40), f"m{i}")
            taken += 1
    assert raised.value.status == 503
    assert raised.value.headers["Retry-After"] == "5"
    assert taken == 12
    # every accepted batch is there whole (a part per shard); of the refused one, at most the
    # part that fitted, which the client's retry sends again under the same id
    assert await log.pending() - 2 * taken in (0, 1)
    await log.close()


async def test_no_server_is_unavailable_not_an_error() -> None:
    log = JetStreamLog(f"nats://127.0.0.1:{free_port()}", "RASDNONE", timeout=1.0)
    with pytest.raises(Unavailable) as raised:
        await log.publish("reports", _reports(3), "m")
    assert raised.value.headers["Retry-After"] == "2"
    await log.close()


async def test_leases_bucket_is_made_once(stream_name: str) -> None:
    log = JetStreamLog(NATS_URL, stream_name, StreamLimits(shards=2))
    kv = await log.key_value(ttl_s=5)
    await kv.put("shards", b"2")
    again = await log.key_value(ttl_s=5)
    assert (await again.get("shards")).value == b"2"
    await log.close()


@contextmanager
def _cluster_client(nats_url: str, stream: str, **extra: object) -> Iterator[TestClient]:
    settings = Settings(
        store_url="sqlite:///:memory:",
        cluster=True,
        nats_url=nats_url,
        stream=stream,
        shards=2,
        publish_timeout_seconds=1.0,
        **extra,  # type: ignore[arg-type]
    )
    runtime = build_runtime(settings)
    with TestClient(create_app(runtime)) as client:
        try:
            yield client
        finally:
            # the log connected inside the client's event loop, so it closes there
            assert client.portal is not None
            client.portal.call(runtime.log.close)
            runtime.store.close()


REPORT = {"service": "facebook", "problem": "app", "reporter": "someone", "country": "EG"}


def test_the_api_answers_503_with_retry_after_when_the_log_is_away() -> None:
    with _cluster_client(f"nats://127.0.0.1:{free_port()}", "RASDAWAY") as client:
        response = client.post("/api/v1/reports", json=REPORT)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "2"
        assert_error_shape(response.json())


def test_the_api_answers_503_when_the_log_is_full(stream_name: str) -> None:
    with _cluster_client(NATS_URL, stream_name, stream_max_messages=100) as client:
        codes = [
            client.post("/api/v1/reports", json={**REPORT, "reporter": f"r{i}"}).status_code
            for i in range(101)
        ]
        assert codes[:100] == [202] * 100
        assert codes[100] == 503


def test_a_cluster_api_publishes_instead_of_counting(stream_name: str) -> None:
    with _cluster_client(NATS_URL, stream_name) as client:
        response = client.post("/api/v1/reports", json=REPORT, headers={"Idempotency-Key": "once"})
        assert response.status_code == 202
        again = client.post("/api/v1/reports", json=REPORT, headers={"Idempotency-Key": "once"})
        assert again.status_code == 202
        runtime = client.app.state.runtime  # type: ignore[attr-defined]
        assert runtime.aggregator is None
        assert runtime.store.count_reports() == 0  # counting is the workers' job
        assert client.portal is not None
        assert client.portal.call(runtime.log.pending) == 1  # the resend was dropped


async def test_another_number_of_shards_is_refused(stream_name: str) -> None:
    log = JetStreamLog(NATS_URL, stream_name, StreamLimits(shards=2))
    await log.publish("reports", _reports(4), "m")
    other = JetStreamLog(NATS_URL, stream_name, StreamLimits(shards=3))
    with pytest.raises(RasdError, match="same shards"):
        await other.jetstream()
    await log.close()
    await other.close()
