"""Several vantage points, for real: three `rasd probe-agent` processes, each in a network
namespace of its own made by this test, push to a real `rasd serve`; the service's DNS and
HTTPS servers, and the canaries, live in an "internet" namespace (see probe/local_netns.py).

One vantage's link to the internet is cut (`ip link set wan down`): everything fails there,
its canaries too, so its results say "vantage offline", count for nothing, and the world stays
up as the two others see it. Then the service's names fail for every vantage: the two that can
tell are a quorum, and the service is found failing (with the third still offline). When the
link comes back, the third vantage is online again and sees what the others see.

No traffic leaves the test's /24 and the loopback: the namespaces have no other route.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from probe.local_dns import HEALTHY, SERVFAIL, LocalDns
from probe.local_netns import Network, Vantage, network
from probe.local_rasd import (
    SERVICE,
    ZONE,
    LocalRasd,
    start_agent,
    stop_agent,
    wait_for,
    write_catalog,
)
from probe.local_web import GOOD_TEXT, Certificates, LocalWeb

VANTAGES = ("north", "south", "west")
SCALE = 0.05  # the catalog's 60 s become 3 s; canary rounds at most every 0.25 s
CANARY_ZONE = "canary.test."


@pytest.fixture
def net() -> Iterator[Network]:
    with network(VANTAGES) as made:
        yield made


@pytest.fixture
def certificates() -> Iterator[Certificates]:
    certs = Certificates()
    yield certs
    certs.close()


class _Internet:
    """The service's DNS and HTTPS servers and two canaries, inside the wan namespace."""

    def __init__(self, net: Network, certificates: Certificates) -> None:
        names = {
            "www.example.test.": {"A": [net.service]},
            "api.example.test.": {"A": [net.service]},
        }
        canary_names = {"ping.canary.test.": {"A": [net.canary]}}
        self.dns = net.inside(net.wan, lambda: LocalDns(names, [ZONE], host=net.service))
        self.web = net.inside(
            net.wan, lambda: LocalWeb(certificates.valid_context(net.service), host=net.service)
        )
        self.canary_dns = net.inside(
            net.wan, lambda: LocalDns(canary_names, [CANARY_ZONE], host=net.canary)
        )
        self.canary_web = net.inside(net.wan, lambda: LocalWeb(host=net.canary))
        for server in (self.dns, self.web, self.canary_dns, self.canary_web):
            server.start()

    def canaries(self) -> list[str]:
        return [self.canary_web.url, f"dns:ping.canary.test@{self.canary_dns.address}"]

    def stop(self) -> None:
        for server in (self.dns, self.web, self.canary_dns, self.canary_web):
            server.stop()


def _start_agent(
    vantage: Vantage, rasd: LocalRasd, internet: _Internet, ca_file: str, folder: Path
) -> subprocess.Popen[str]:
    canaries = [arg for c in internet.canaries() for arg in ("--canary", c)]
    return start_agent(
        vantage.name, rasd, internet.dns.address, internet.dns.port, SCALE, folder,
        "--ca-file", ca_file, *canaries,
        # the namespace routes nowhere but the test's /24: "online" reaches only its servers
        "--online",
        wrapper=("ip", "netns", "exec", vantage.namespace),
    )  # fmt: skip


def _vantages(rasd: LocalRasd) -> dict[str, str]:
    body = rasd.http.get("/api/v1/probes/vantages").json()
    return {v["vantage"]: v["state"] for v in body["vantages"]}


def _evidence(rasd: LocalRasd) -> dict[str, Any]:
    response = rasd.http.get("/api/v1/probes/evidence", params={"service": SERVICE})
    response.raise_for_status()
    (evidence,) = response.json()["services"]
    return dict(evidence)


@pytest.mark.slow
def test_one_vantage_cut_off_is_local_and_a_quorum_down_is_the_service(
    net: Network, certificates: Certificates, tmp_path: Path
) -> None:
    internet = _Internet(net, certificates)
    catalog = write_catalog(tmp_path / "catalog.toml", internet.web.url, GOOD_TEXT)
    rasd = LocalRasd(tmp_path, catalog, host=net.server)
    agents: dict[str, subprocess.Popen[str]] = {}
    began = datetime.now(UTC) - timedelta(minutes=1)
    north, south, west = net.vantages
    try:
        rasd.start()
        agents = {
            v.name: _start_agent(v, rasd, internet, certificates.ca_file, tmp_path)
            for v in net.vantages
        }
        # all three see the service up, through DNS (resolver and zone) and HTTPS
        wait_for(
            "every vantage healthy",
            lambda: _evidence(rasd)["healthy_vantages"] == list(VANTAGES),
            90,
        )
        assert set(_vantages(rasd).values()) == {"online"}

        # north's link to the internet is cut: its failures are its own
        north.cut()
        wait_for("north offline", lambda: _vantages(rasd).get("north") == "offline", 60)
        wait_for(
            "north out of the vote",
            lambda: _evidence(rasd)["offline_vantages"] == ["north"],
            60,
        )
        evidence = _evidence(rasd)
        assert evidence["healthy_vantages"] == ["south", "west"]
        assert (evidence["failing_vantages"], evidence["quorum"], evidence["level"]) == (
            [],
            False,
            0,
        )
        wait_for(
            "north's results counted as its own",
            lambda: rasd.total("probes_vantage_offline", began, "@north") > 0,
            30,
        )
        # nothing it saw counts as the service failing, anywhere
        assert rasd.total("probes_failed", began) == 0
        assert rasd.total("probes_failed", began, "@north") == 0
        assert _vantages(rasd) == {"north": "offline", "south": "online", "west": "online"}
        assert rasd.incidents() == []

        # the service's names fail for everyone: the two vantages that can tell are a quorum
        internet.dns.set_mode(ZONE, SERVFAIL)
        wait_for(
            "a quorum failing",
            lambda: _evidence(rasd)["quorum"],
            90,
        )
        evidence = _evidence(rasd)
        assert evidence["failing_vantages"] == ["south", "west"]
        assert evidence["offline_vantages"] == ["north"]
        assert evidence["level"] == 2
        assert evidence["failing_kinds"] == {"south": ["dns"], "west": ["dns"]}
        assert set(evidence["outcomes"]["dns"]) == {"servfail"}
        wait_for(
            "the world's failures counted",
            lambda: rasd.total("probe_dns_failed", began) > 0,
            30,
        )
        assert rasd.total("probe_http_failed", began) == 0  # the home page kept answering

        # north's link is back: it is online again and sees what the others see
        north.mend()
        wait_for(
            "north failing with the others",
            lambda: _evidence(rasd)["failing_vantages"] == list(VANTAGES),
            90,
        )
        assert _vantages(rasd)["north"] == "online"
        assert _evidence(rasd)["offline_vantages"] == []
        internet.dns.set_mode(ZONE, HEALTHY)
    finally:
        stats = {}
        for name, agent in agents.items():
            try:
                stats[name] = stop_agent(agent)
            except (AssertionError, subprocess.TimeoutExpired, json.JSONDecodeError):
                agent.send_signal(signal.SIGKILL)
                agent.wait(timeout=10)
        rasd.close()
        internet.stop()
    assert stats["north"]["offline_results"] > 0
    assert stats["south"]["offline_results"] == stats["west"]["offline_results"] == 0
    for figures in stats.values():
        assert figures["canary_rounds"] > 0
        assert figures["dropped"] == 0 and figures["held"] == 0
        assert figures["results_delivered"] == figures["checks_run"]
