from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import msgspec
import orjson
import pytest
from conftest import IMPORT_TOKEN, T0
from fastapi.testclient import TestClient
from tests_support import assert_error_shape

from rasd.assembly import embedded
from rasd.clock import VirtualClock, minute_of
from rasd.correlate.hints import DNS_OWNER
from rasd.runtime import Runtime
from rasd.series import PROBES_FAILED, PROBES_TOTAL, WORLD, SeriesKey
from rasd.settings import Settings
from rasd.shell.app import create_app
from rasd.signals.probes import (
    AUTHORITATIVE,
    ProbeBatch,
    ProbeResult,
    decode_check_list,
    encode,
)

INGEST = "ingest-token-for-tests"
AUTH = {"Authorization": f"Bearer {INGEST}"}
JSON_AUTH = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture
def server(clock: VirtualClock) -> Iterator[Runtime]:
    settings = Settings(
        store_url="sqlite:///:memory:", ingest_tokens=[INGEST], import_tokens=[IMPORT_TOKEN]
    )
    rt = embedded(settings, clock=clock)
    yield rt
    rt.store.close()


@pytest.fixture
def api(server: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(server)) as c:
        yield c


def _result(
    vantage: str,
    outcome: str = "ok",
    *,
    service: str = "facebook",
    kind: str = "dns",
    check: str = "facebook:dns:facebook.com",
    ts: datetime = T0,
) -> ProbeResult:
    target = "https://www.facebook.com/" if kind == "http" else "facebook.com"
    rcode = {"ok": "NOERROR", "servfail": "SERVFAIL"}.get(outcome) if kind == "dns" else None
    return ProbeResult(
        service=service,
        check=check,
        kind=kind,
        target=target,
        vantage=vantage,
        ts=ts,
        outcome=outcome,
        latency_ms=12.5,
        rcode=rcode,
    )


def _batch(vantage: str, results: list[ProbeResult], batch_id: str = "b1") -> bytes:
    return encode(ProbeBatch(id=batch_id, vantage=vantage, results=results))


def _total(rt: Runtime, signal: str = PROBES_TOTAL, region: str = WORLD) -> int:
    m = minute_of(T0)
    return rt.store.total(SeriesKey("facebook", signal, region), m - 60, m + 60)


# --- the check list ---


def test_agents_get_the_catalogs_checks(api: TestClient) -> None:
    response = api.get("/api/v1/probes/checks", headers=AUTH)
    assert response.status_code == 200
    checks = decode_check_list(response.content).checks
    facebook = {(c.kind, c.target, c.resolver) for c in checks if c.service == "facebook"}
    assert ("dns", "facebook.com", None) in facebook
    assert ("dns", "facebook.com", AUTHORITATIVE) in facebook
    assert ("http", "https://www.facebook.com/", None) in facebook
    assert len({c.id for c in checks}) == len(checks)


@pytest.mark.parametrize(
    ("region", "has_egyptian", "has_american"),
    [("EG", True, False), ("eg/Cairo", True, False), ("US", False, True), ("eu-west", True, True)],
)
def test_a_country_vantage_point_probes_what_is_used_there(
    api: TestClient, region: str, has_egyptian: bool, has_american: bool
) -> None:
    response = api.get("/api/v1/probes/checks", params={"region": region}, headers=AUTH)
    services = {c.service for c in decode_check_list(response.content).checks}
    assert "facebook" in services  # worldwide: probed from everywhere
    assert ("vodafone-eg" in services) is has_egyptian
    assert ("verizon" in services) is has_american


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({}, {}, 401),
        ({}, {"Authorization": f"Bearer {IMPORT_TOKEN}"}, 403),
        ({"region": "@eu"}, AUTH, 422),
        ({"region": "x" * 65}, AUTH, 422),
    ],
    ids=["no token", "import token", "region with @", "long region"],
)
def test_check_list_refusals(
    api: TestClient, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    response = api.get("/api/v1/probes/checks", params=params, headers=headers)
    assert response.status_code == status
    assert_error_shape(response.json())


# --- pushed results ---


def test_a_batch_is_counted_per_vantage_point(api: TestClient, server: Runtime) -> None:
    results = [_result("eu"), _result("eu", "servfail", check="facebook:dns:facebook.com@x")]
    response = api.post("/api/v1/probes/batch", content=_batch("eu", results), headers=JSON_AUTH)
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 2, "ignored": 0, "id": "probes:eu:b1"}
    assert (_total(server), _total(server, PROBES_FAILED)) == (2, 1)
    assert _total(server, region="@eu") == 2
    assert _total(server, "probe_dns_failed", "@eu") == 1
    assert server.probe_state is not None
    evidence = server.probe_state.evidence("facebook", minute_of(T0))
    assert evidence.outcomes == {"dns": {"ok": 1, "servfail": 1}}


def test_the_vantages_and_their_evidence_are_shown(api: TestClient, server: Runtime) -> None:
    cut = _result("eu", "timeout")
    cut.vantage_offline = True
    for vantage, results in {"eu": [cut], "me": [_result("me")], "us": [_result("us")]}.items():
        response = api.post(
            "/api/v1/probes/batch", content=_batch(vantage, results), headers=JSON_AUTH
        )
        assert response.status_code == 202, response.text
    assert (_total(server), _total(server, PROBES_FAILED)) == (2, 0)
    vantages = api.get("/api/v1/probes/vantages").json()
    assert vantages["count"] == 3
    states = {v["vantage"]: v["state"] for v in vantages["vantages"]}
    assert states == {"eu": "offline", "me": "online", "us": "online"}
    evidence = api.get("/api/v1/probes/evidence", params={"service": "facebook"}).json()
    assert evidence["count"] == 1
    (facebook,) = evidence["services"]
    assert facebook["offline_vantages"] == ["eu"]
    assert (facebook["healthy_vantages"], facebook["quorum"]) == (["me", "us"], False)
    everything = api.get("/api/v1/probes/evidence").json()
    assert [e["service"] for e in everything["services"]] == ["facebook"]
    missing = api.get("/api/v1/probes/evidence", params={"service": "nope"})
    assert missing.status_code == 404
    assert_error_shape(missing.json())


def test_a_batch_sent_again_counts_once(api: TestClient, server: Runtime) -> None:
    body = _batch("eu", [_result("eu")], batch_id="same")
    for _ in range(3):
        assert api.post("/api/v1/probes/batch", content=body, headers=JSON_AUTH).status_code == 202
    assert _total(server) == 1
    # the same id from another vantage point is another batch
    other = _batch("us", [_result("us")], batch_id="same")
    assert api.post("/api/v1/probes/batch", content=other, headers=JSON_AUTH).status_code == 202
    assert _total(server) == 2


def test_results_of_unknown_services_are_left_out(api: TestClient, server: Runtime) -> None:
    results = [_result("eu"), _result("eu", service="gone-service")]
    response = api.post("/api/v1/probes/batch", content=_batch("eu", results), headers=JSON_AUTH)
    assert response.json()["accepted"] == 1 and response.json()["ignored"] == 1
    assert server.store.series_keys(service="gone-service") == []


def test_an_empty_batch_is_fine(api: TestClient, server: Runtime) -> None:
    response = api.post("/api/v1/probes/batch", content=_batch("eu", []), headers=JSON_AUTH)
    assert response.status_code == 202 and response.json()["accepted"] == 0


def test_a_plain_list_of_results_as_replays_send_it(api: TestClient, server: Runtime) -> None:
    results = [_result("eu"), _result("us", "servfail"), _result("eu", "servfail")]
    body = orjson.dumps([msgspec.to_builtins(r) for r in results])
    headers = {"Authorization": f"Bearer {IMPORT_TOKEN}", "Idempotency-Key": "minute-1"}
    for _ in range(2):
        response = api.post("/api/v1/probes/batch", content=body, headers=headers)
        assert response.status_code == 202, response.text
    assert response.json()["id"] == "probes:k:minute-1"
    assert (_total(server), _total(server, PROBES_FAILED), _total(server, region="@us")) == (
        3,
        2,
        1,
    )


def test_a_bad_result_in_a_plain_list_is_named_by_its_index(
    api: TestClient, server: Runtime
) -> None:
    results = [msgspec.to_builtins(_result(v)) for v in ("eu", "us", "eu", "us")]
    results[3]["outcome"] = "on fire"
    response = api.post("/api/v1/probes/batch", content=orjson.dumps(results), headers=JSON_AUTH)
    assert response.status_code == 422
    details = assert_error_shape(response.json())["details"]
    assert [(d["index"], d["field"]) for d in details] == [(3, "outcome")]
    assert server.store.series_keys(signal=PROBES_TOTAL) == []


def _bad_batches() -> list[tuple[str, bytes, int, str | None]]:
    good = msgspec.to_builtins(ProbeBatch(id="b", vantage="eu", results=[_result("eu")]))

    def changed(**fields: Any) -> bytes:
        result = {**good["results"][0], **fields}
        return orjson.dumps({**good, "results": [good["results"][0], result]})

    late = (T0 + timedelta(hours=1)).isoformat()
    return [
        ("unknown kind", changed(kind="ping"), 422, "results[1].kind"),
        ("unknown outcome", changed(outcome="meh"), 422, "results[1].outcome"),
        ("another vantage", changed(vantage="us"), 422, "results[1].vantage"),
        ("naive time", changed(ts="2021-10-04T12:00:00"), 422, "results[1].ts"),
        ("time ahead of the server", changed(ts=late), 422, "results[1].ts"),
        ("empty batch id", orjson.dumps({**good, "id": ""}), 422, "id"),
        ("vantage with @", orjson.dumps({**good, "vantage": "@eu"}), 422, "vantage"),
        ("negative dropped", orjson.dumps({**good, "dropped": -1}), 422, "dropped"),
        ("missing results", orjson.dumps({"id": "b", "vantage": "eu"}), 422, None),
        ("not JSON", b'{"id": ', 400, None),
    ]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [case[1:] for case in _bad_batches()],
    ids=[case[0] for case in _bad_batches()],
)
def test_bad_batches_are_refused_and_change_nothing(
    api: TestClient, server: Runtime, body: bytes, status: int, field: str | None
) -> None:
    response = api.post("/api/v1/probes/batch", content=body, headers=JSON_AUTH)
    assert response.status_code == status, response.text
    error = assert_error_shape(response.json())
    if field is not None:
        assert field in {d.get("field") for d in error["details"]}, error
    assert server.store.series_keys(signal=PROBES_TOTAL) == []
    assert server.probe_state is not None
    assert server.probe_state.services() == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer nope"}, 403)],
    ids=["no token", "wrong token"],
)
def test_pushing_results_needs_a_token(
    api: TestClient, server: Runtime, headers: dict[str, str], status: int
) -> None:
    response = api.post(
        "/api/v1/probes/batch", content=_batch("eu", [_result("eu")]), headers=headers
    )
    assert response.status_code == status
    assert_error_shape(response.json())
    assert server.store.series_keys(signal=PROBES_TOTAL) == []


# --- from pushed results to an incident with its cause ---


def test_a_dns_failure_seen_from_a_quorum_opens_an_incident_with_its_cause(
    api: TestClient, server: Runtime, clock: VirtualClock
) -> None:
    engine = server.detector()
    checks = ["facebook:dns:facebook.com", f"facebook:dns:facebook.com@{AUTHORITATIVE}"]

    def minute_of_results(i: int, outcome: str) -> None:
        ts = T0 + timedelta(minutes=i, seconds=20)
        for vantage in ("eu", "us", "me"):
            results = [_result(vantage, outcome, check=c, ts=ts) for c in checks]
            results.append(_result(vantage, kind="http", check="facebook:http:home", ts=ts))
            body = _batch(vantage, results, batch_id=f"{vantage}-{i}")
            assert api.post("/api/v1/probes/batch", content=body, headers=JSON_AUTH).is_success
        clock.set(T0 + timedelta(minutes=i + 1, seconds=5))
        engine.tick(minute_of(T0) + i)

    for i in range(3):
        minute_of_results(i, "ok")
    assert server.store.list_incidents(service="facebook") == []
    for i in range(3, 6):
        minute_of_results(i, "servfail")
    incidents = api.get("/api/v1/incidents", params={"service": "facebook"}).json()["incidents"]
    assert [i["state"] for i in incidents] in (["ongoing"], ["opened"])
    events = api.get("/api/v1/events").json()["events"]
    hints = [h for e in events for h in e["cause_hints"]]
    assert [h["code"] for h in hints] == [DNS_OWNER]
    assert hints[0]["evidence"]["failing_vantages"] == ["eu", "me", "us"]
    assert set(hints[0]["text"]) == {"en", "ar"}
