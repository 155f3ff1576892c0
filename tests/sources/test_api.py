import asyncio

from fastapi.testclient import TestClient

from rasd.runtime import Runtime
from rasd.sources import SourceStatus


class _Reader:
    kind = "posts"

    def __init__(self, name: str) -> None:
        self.name = name
        self._status = SourceStatus(name, self.kind)

    def status(self) -> SourceStatus:
        return self._status

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()


def test_sources_are_listed_with_their_state(runtime: Runtime, client: TestClient) -> None:
    reader = _Reader("bluesky")
    runtime.sources.add(reader)
    reader.status().connected("ws://127.0.0.1:1/subscribe")
    reader.status().seen(10)
    reader.status().matched(2)
    body = client.get("/api/v1/sources").json()
    assert body["offline"] is True and body["count"] == 1
    item = body["items"][0]
    assert item["name"] == "bluesky" and item["state"] == "connected"
    assert item["per_minute"] == {"seen": 10, "matched": 2, "counted": 0}
    one = client.get("/api/v1/sources/bluesky").json()
    assert one["endpoint"] == "ws://127.0.0.1:1/subscribe"
    metrics = client.get("/metrics").text
    assert 'rasd_source_connected{source="bluesky"} 1.0' in metrics
    assert 'rasd_source_items_total{source="bluesky",stage="seen"} 10.0' in metrics
    assert 'rasd_source_items_per_minute{source="bluesky",stage="matched"} 2.0' in metrics
    assert 'rasd_source_reconnects_total{source="bluesky"} 0.0' in metrics
    assert "rasd_source_last_error_timestamp_seconds{" not in metrics
    reader.status().noted("malformed message skipped")
    metrics = client.get("/metrics").text
    assert 'rasd_source_last_error_timestamp_seconds{source="bluesky"}' in metrics


def test_an_unknown_source_is_a_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/sources/nope")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] and error["details"] == [{"field": "name", "reason": "unknown"}]
