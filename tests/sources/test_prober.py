"""The built-in prober: a fresh `rasd serve`, no agent started, probes its catalog's services.

Every part is real: a `rasd serve` process, a DNS server and an HTTPS server on 127.0.0.1 for
the test service, and a canary web server. The server runs with RASD_OFFLINE (as every test
does), so a second service whose hosts are not loopback ones is not probed at all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from probe.local_dns import SERVFAIL, SILENT, LocalDns
from probe.local_rasd import ZONE, LocalRasd, wait_for, write_catalog
from probe.local_web import GOOD_TEXT, SLOW, Certificates, LocalWeb

from rasd.signals.probes import ProbeCheck
from rasd.sources.prober import checks_per_minute, rate_scale

FAR_AWAY = [
    "[[service]]",
    'id = "far-away"',
    'name = { en = "Far Away", ar = "بعيد" }',
    'owner = "example-inc"',
    'category = "social"',
    "countries = []",
    'domains = ["far-away.example"]',
    'dns_provider = "example-inc"',
    'problems = ["app"]',
    "popularity = 0.1",
    "",
]


def _check(interval: float) -> ProbeCheck:
    return ProbeCheck(id=f"c{interval}", service="s", kind="dns", target="a.test",
                      interval_s=interval)  # fmt: skip


def test_the_rate_is_bounded_by_stretching_the_intervals() -> None:
    checks = [_check(60.0)] * 100 + [_check(30.0)] * 100  # 300 a minute as the catalog says
    assert rate_scale(checks, 600.0) == 1.0
    assert rate_scale(checks, 150.0) == pytest.approx(2.0)
    assert checks_per_minute(checks, rate_scale(checks, 150.0)) == pytest.approx(150.0)
    # faster when asked, but never past the bound
    assert rate_scale(checks, 600.0, 0.5) == 0.5
    assert rate_scale(checks, 300.0, 0.5) == pytest.approx(1.0)


def _prober(rasd: LocalRasd) -> dict[str, Any]:
    response = rasd.http.get("/api/v1/sources/prober")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _rounds(rasd: LocalRasd) -> int:
    canaries = _prober(rasd)["detail"].get("canaries") or {}
    return int(canaries.get("rounds", 0))


def _evidence(rasd: LocalRasd) -> dict[str, Any]:
    response = rasd.http.get("/api/v1/probes/evidence", params={"service": "example"})
    response.raise_for_status()
    (evidence,) = response.json()["services"]
    return dict(evidence)


def _vantage(rasd: LocalRasd, name: str = "rasd") -> dict[str, Any] | None:
    vantages = rasd.http.get("/api/v1/probes/vantages").json()["vantages"]
    return next((v for v in vantages if v["vantage"] == name), None)


@pytest.mark.slow
def test_a_fresh_server_probes_its_catalog_from_the_first_minute(
    tmp_path: Path,
    local_dns: LocalDns,
    secure_web: LocalWeb,
    web: LocalWeb,
    certificates: Certificates,
) -> None:
    dns, canary = local_dns, web
    began = datetime.now(UTC) - timedelta(minutes=1)
    catalog = write_catalog(tmp_path / "catalog.toml", secure_web.url, GOOD_TEXT, FAR_AWAY)
    prober = {
        "RASD_PROBER_RESOLVERS": json.dumps([dns.address]),
        "RASD_PROBER_AUTHORITATIVE_PORT": str(dns.port),
        "RASD_PROBER_CA_FILE": certificates.ca_file,
        "RASD_PROBER_INTERVAL_SCALE": "0.02",  # 60 s becomes 1.2 s
        "RASD_PROBER_CANARIES": json.dumps([canary.url]),
    }
    rasd = LocalRasd(tmp_path, catalog, prober=prober).start()
    try:
        # DNS through its resolver and from the zone's servers, and the home page over HTTPS
        wait_for(
            "the server's own results",
            lambda: rasd.total("probes_total", began, "@rasd") >= 10,
            60,
        )
        assert rasd.total("probe_dns_total", began) > 0
        assert rasd.total("probe_http_total", began) > 0
        assert rasd.total("probes_failed", began) == 0
        status = _prober(rasd)
        # the far-away service's home page is not contacted, and it says so (its name is asked
        # of the local resolver, which refuses it)
        assert status["state"] == "offline"
        detail = status["detail"]
        assert "1 of 8 checks not run" in detail["offline_reason"]
        assert (detail["checks"], detail["checks_not_run"]) == (7, 1)
        assert detail["planned_checks_per_minute"] == pytest.approx(7 * 50.0)
        assert status["totals"]["seen"] > 0 and status["totals"]["counted"] > 0
        wait_for("a canary round", lambda: _rounds(rasd), 30)
        assert _prober(rasd)["detail"]["vantage_state"] == "online"

        # the names fail while the canary answers: believed, counted as the service's failures
        dns.set_mode(ZONE, SERVFAIL)
        wait_for("DNS failures", lambda: rasd.total("probe_dns_failed", began) > 0, 60)
        wait_for(
            "this vantage failing on DNS",
            lambda: _evidence(rasd)["failing_kinds"].get("rasd") == ["dns"],
            60,
        )
        assert rasd.total("probe_http_failed", began) == 0

        # everything this server reaches stops answering, its canary too: its own link is down
        # (loopback cannot be cut: the servers go silent, which is what a cut link looks like)
        for server in (canary, secure_web):
            server.set_slow(30.0)
            server.mode = SLOW
        dns.set_mode(ZONE, SILENT)
        wait_for(
            "the server's vantage to go offline",
            lambda: (_vantage(rasd) or {}).get("state") == "offline",
            60,
        )
        wait_for(
            "results counted as the vantage's own",
            lambda: rasd.total("probes_vantage_offline", began, "@rasd") > 0,
            30,
        )
        status = _prober(rasd)
        assert status["detail"]["vantage_state"] == "offline"
        assert status["detail"]["offline_results"] > 0
        # once each check has run again, none of this vantage's votes is left
        wait_for(
            "no vote from this vantage",
            lambda: _evidence(rasd)["offline_vantages"] == ["rasd"],
            60,
        )
        assert _evidence(rasd)["failing_vantages"] == []
    finally:
        rasd.close()


@pytest.mark.slow
def test_the_prober_can_be_turned_off(tmp_path: Path, secure_web: LocalWeb) -> None:
    catalog = write_catalog(tmp_path / "catalog.toml", secure_web.url, GOOD_TEXT)
    rasd = LocalRasd(tmp_path, catalog, prober={"RASD_PROBER_ENABLED": "false"}).start()
    try:
        names = [s["name"] for s in rasd.http.get("/api/v1/sources").json()["items"]]
        assert "prober" not in names
        assert rasd.http.get("/api/v1/sources/prober").status_code == 404
    finally:
        rasd.close()
