from __future__ import annotations

import dataclasses

from conftest import T0
from fastapi.testclient import TestClient
from notify.samples import incident, store_incident
from prometheus_client.parser import text_string_to_metric_families

from rasd.clock import minute_of
from rasd.notify.notifier import notifier_of
from rasd.pipeline.engine import DetectionEngine
from rasd.runtime import Runtime
from rasd.shell.app import create_app


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_ingest_detection_incidents_and_alerts_are_measured(runtime: Runtime) -> None:
    engine = DetectionEngine(runtime.store, runtime.catalog)
    runtime = dataclasses.replace(runtime, engine=engine)
    notifier_of(runtime)
    with TestClient(create_app(runtime)) as client:
        report = {"service": "facebook", "problem": "login", "reporter": "m1", "country": "US"}
        assert client.post("/api/v1/reports", json=report).status_code == 202
        assert client.post("/api/v1/reports", json={"service": "nope"}).status_code == 422
        store_incident(runtime.store, incident("facebook", T0, level=2))
        store_incident(runtime.store, incident("instagram", T0, level=1))
        store_incident(runtime.store, incident("twitter", T0, state="resolved"))
        engine.tick(minute_of(T0))
        engine.tick(minute_of(T0) + 1)
        got = _samples(client)
    assert got[("rasd_ingest_requests_total", (("route", "reports"), ("status", "202")))] == 1
    assert got[("rasd_ingest_requests_total", (("route", "reports"), ("status", "422")))] == 1
    assert got[("rasd_reports_total", (("outcome", "received"),))] == 1
    assert got[("rasd_reports_total", (("outcome", "counted"),))] == 1
    assert got[("rasd_detection_tick_seconds_count", ())] == 2
    assert got[("rasd_detection_ticks_total", ())] == 2
    assert got[("rasd_incidents_open", (("level", "problems_detected"),))] == 1
    assert got[("rasd_incidents_open", (("level", "possible_problems"),))] == 1
    assert got[("rasd_alert_deliveries_total", (("channel", "webhook"), ("outcome", "sent")))] == 0
    assert got[("rasd_outbox_messages", (("status", "pending"),))] == 0
    assert ("rasd_store_write_queue", ()) in got


def test_two_apps_in_one_process_keep_their_own_figures(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as first, TestClient(create_app(runtime)) as second:
        report = {"service": "facebook", "problem": "login", "reporter": "m2", "country": "EG"}
        assert first.post("/api/v1/reports", json=report).status_code == 202
        key = ("rasd_ingest_requests_total", (("route", "reports"), ("status", "202")))
        assert _samples(first)[key] == 1
        assert key not in _samples(second)
