"""Probes end to end, with every part real: a DNS server and a web server on 127.0.0.1, a Rasd
server process (`rasd serve`) and two probe agent processes (`rasd probe-agent`) pushing to it.

The service's names start failing (SERVFAIL) everywhere: the probe signal rises, an incident
opens with a DNS cause hint, and when the names answer again the incident recovers. Before
that the server is killed and started again: the agents live through it and deliver what they
saw meanwhile, each result counted exactly once.

Detection runs on the system clock, once a minute, so this takes a few minutes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from probe.local_dns import HEALTHY, SERVFAIL, LocalDns
from probe.local_rasd import (
    NAMES,
    SERVICE,
    ZONE,
    LocalRasd,
    start_agent,
    stop_agent,
    wait_for,
    write_catalog,
)
from probe.local_web import GOOD_TEXT, LocalWeb

from rasd.correlate.hints import DNS_OWNER

REGIONS = ("eu", "us")
SCALE = 0.05  # the catalog's 60 s interval becomes 3 s
MINUTES = 60.0


@pytest.fixture
def dns() -> Iterator[LocalDns]:
    server = LocalDns(NAMES, [ZONE]).start()
    yield server
    server.stop()


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    server = LocalWeb().start()
    yield server
    server.stop()


@pytest.fixture
def rasd(tmp_path: Path, web: LocalWeb) -> Iterator[LocalRasd]:
    catalog = write_catalog(tmp_path / "catalog.toml", web.url, GOOD_TEXT)
    server = LocalRasd(tmp_path, catalog).start()
    yield server
    server.close()


@pytest.mark.slow
def test_a_dns_failure_seen_by_two_agents_opens_an_incident_and_recovers(
    dns: LocalDns, rasd: LocalRasd, tmp_path: Path
) -> None:
    began = datetime.now(UTC) - timedelta(minutes=1)
    agents = {
        region: start_agent(region, rasd, dns.address, dns.port, SCALE, tmp_path)
        for region in REGIONS
    }
    try:
        # healthy: both vantage points deliver, nothing fails
        wait_for(
            "results from both agents",
            lambda: all(rasd.total("probes_total", began, f"@{r}") > 0 for r in REGIONS),
            60,
        )
        assert rasd.total("probes_failed", began) == 0

        # the server dies mid-flight and comes back: the agents keep probing and catch up
        rasd.kill()
        time.sleep(3)
        assert all(agent.poll() is None for agent in agents.values())
        rasd.start()
        counted = rasd.total("probes_total", began)
        wait_for(
            "results again after the restart",
            lambda: rasd.total("probes_total", began) > counted,
            60,
        )

        # the names fail everywhere
        failed_at = time.monotonic()
        dns.set_mode(ZONE, SERVFAIL)
        wait_for("failed probes", lambda: rasd.total("probes_failed", began) > 0, 60)
        opened = wait_for("an incident", rasd.incidents, 4 * MINUTES, every=1.0)
        seconds_to_incident = time.monotonic() - failed_at
        assert [i["service"] for i in opened] == [SERVICE]
        assert opened[0]["state"] in ("opened", "ongoing")
        hints = wait_for("a cause hint", rasd.hints, 2 * MINUTES, every=1.0)
        assert [h["code"] for h in hints] == [DNS_OWNER]
        evidence = hints[0]["evidence"]
        assert evidence["failing_vantages"] == list(REGIONS)
        assert evidence["names"] == ["api.example.test", "www.example.test"]
        assert set(evidence["outcomes"]) == {"servfail"}
        assert set(hints[0]["text"]) == {"en", "ar"}
        assert rasd.total("probe_http_failed", began) == 0  # the home page kept answering

        # the names answer again: the incident recovers
        dns.set_mode(ZONE, HEALTHY)
        mended = wait_for(
            "the incident to recover",
            lambda: [i for i in rasd.incidents() if i["state"] in ("recovering", "resolved")],
            4 * MINUTES,
            every=1.0,
        )
        assert [i["id"] for i in mended] == [opened[0]["id"]]
        latest = rasd.series("probes_failed", began)
        complete = [n for t, n in latest if datetime.fromisoformat(t) < _this_minute()]
        assert complete and complete[-1] == 0
    finally:
        stats = {region: stop_agent(agent) for region, agent in agents.items()}
    print(f"DNS failure to open incident: {seconds_to_incident:.1f} s")

    # every result an agent made reached the server once: none lost while it was away, none
    # counted twice when a batch it never answered was sent again
    for region, figures in stats.items():
        assert figures["region"] == region
        assert (figures["dropped"], figures["held"], figures["batches_refused"]) == (0, 0, 0)
        assert figures["results_delivered"] == figures["checks_run"] > 0
        assert rasd.total("probes_total", began, f"@{region}") == figures["results_delivered"]
    assert rasd.total("probes_total", began) == sum(f["checks_run"] for f in stats.values())


def _this_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)
