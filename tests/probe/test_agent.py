"""Real agent processes (`python -m rasd.cli probe-agent`) with real DNS, HTTPS and a receiver."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from probe.conftest import NAMES, ZONE
from probe.local_dns import HEALTHY, SERVFAIL, LocalDns
from probe.local_receiver import LocalReceiver
from probe.local_web import ERROR_5XX, GOOD_TEXT, Certificates, LocalWeb
from rasd.clock import minute_of
from rasd.correlate.hints import APPLICATION, REGIONAL_NETWORK, cause_hints
from rasd.phrase import Phrase
from rasd.signals.probes import AUTHORITATIVE, ProbeCheck, ProbeEvidence, ProbeResult, ProbeState

SCALE = "0.1"  # check intervals of 5 s become 0.5 s


@dataclass(frozen=True)
class _Endpoint:
    kind: str
    target: str
    expect_text: str | None = None


@dataclass(frozen=True)
class _Service:
    id: str
    owner: str
    dns_provider: str
    cdn: str | None = None
    cloud: str | None = None
    domains: tuple[str, ...] = ()
    endpoints: tuple[_Endpoint, ...] = field(default=())


def _checks(web: LocalWeb) -> list[ProbeCheck]:
    common: dict[str, Any] = {"service": "example", "interval_s": 5.0}
    return [
        ProbeCheck(id="dns-own", kind="dns", target="www.example.test", timeout_s=0.5, **common),
        ProbeCheck(
            id="dns-auth",
            kind="dns",
            target="www.example.test",
            resolver=AUTHORITATIVE,
            timeout_s=0.5,
            **common,
        ),
        ProbeCheck(
            id="home", kind="http", target=web.url, expect_text=GOOD_TEXT, timeout_s=1.0, **common
        ),
        ProbeCheck(id="port", kind="tcp", target=f"127.0.0.1:{web.port}", timeout_s=0.5, **common),
    ]


def _start_agent(
    region: str, receiver: LocalReceiver, dns: LocalDns, certs: Certificates, *extra: str
) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "rasd.cli", "probe-agent",
        "--region", region, "--server", receiver.url, "--token", receiver.token,
        "--resolver", dns.address, "--authoritative-port", str(dns.port),
        "--ca-file", certs.ca_file, "--interval-scale", SCALE, "--concurrency", "4", *extra,
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(agent: subprocess.Popen[str], *, stop: bool = True) -> dict[str, Any]:
    if stop and agent.poll() is None:
        agent.send_signal(signal.SIGTERM)
    out, err = agent.communicate(timeout=20)
    assert agent.returncode == 0, err
    stats: dict[str, int] = json.loads(out.strip().splitlines()[-1])
    return stats


@pytest.fixture
def other_dns() -> Iterator[LocalDns]:
    server = LocalDns(NAMES, [ZONE]).start()
    yield server
    server.stop()


def _evidence(results: list[ProbeResult]) -> ProbeEvidence:
    state = ProbeState(window_minutes=2)
    state.feed(sorted(results, key=lambda r: r.ts))
    return state.evidence("example", minute_of(datetime.now(UTC)))


def _latest_are(results: list[ProbeResult], wanted: dict[str, set[str]]) -> bool:
    """True when the newest result of every check at each vantage point has a wanted outcome."""
    latest: dict[tuple[str, str], ProbeResult] = {}
    for r in sorted(results, key=lambda r: r.ts):
        latest[(r.vantage, r.check)] = r
    for vantage, outcomes_by_check in wanted.items():
        mine = {check: r.outcome for (v, check), r in latest.items() if v == vantage}
        if len(mine) < 4 or not all(f"{c}={o}" in outcomes_by_check for c, o in mine.items()):
            return False
    return True


def _all(outcome_of: dict[str, str]) -> set[str]:
    return {f"{check}={outcome}" for check, outcome in outcome_of.items()}


HEALTHY_ALL = _all({"dns-own": "ok", "dns-auth": "ok", "home": "ok", "port": "ok"})


@pytest.mark.slow
def test_two_regions_tell_a_local_failure_from_the_services(
    local_dns: LocalDns, other_dns: LocalDns, secure_web: LocalWeb, certificates: Certificates
) -> None:
    catalog = [_Service(id="example", owner="example-inc", dns_provider="example-inc")]
    receiver = LocalReceiver(_checks(secure_web)).start()
    agents = {
        "eu": _start_agent("eu", receiver, local_dns, certificates),
        "me": _start_agent("me", receiver, other_dns, certificates),
    }
    try:
        receiver.wait_for(lambda rs: _latest_are(rs, {"eu": HEALTHY_ALL, "me": HEALTHY_ALL}))
        assert _evidence(receiver.results).level == 0

        # the resolver (and name server) the "me" agent uses breaks: only "me" fails
        other_dns.set_mode(ZONE, SERVFAIL)
        me_broken = _all(
            {"dns-own": "servfail", "dns-auth": "servfail", "home": "ok", "port": "ok"}
        )
        receiver.wait_for(lambda rs: _latest_are(rs, {"eu": HEALTHY_ALL, "me": me_broken}))
        evidence = _evidence(receiver.results)
        assert (evidence.failing_vantages, evidence.healthy_vantages) == (["me"], ["eu"])
        assert (evidence.quorum, evidence.level) == (False, 0)
        assert evidence.failing_kinds == {"me": ["dns"]}
        hints = cause_hints({"example": evidence}, catalog)
        assert [h.code for h in hints] == [REGIONAL_NETWORK]
        assert hints[0].evidence["region"] == "me"
        assert hints[0].evidence["outcomes"] == {"dns": {"servfail": 2}}

        # the application fails everywhere while DNS is fine again: the service's own trouble
        other_dns.set_mode(ZONE, HEALTHY)
        secure_web.mode = ERROR_5XX
        app_down = _all({"dns-own": "ok", "dns-auth": "ok", "home": "http_5xx", "port": "ok"})
        receiver.wait_for(lambda rs: _latest_are(rs, {"eu": app_down, "me": app_down}))
        evidence = _evidence(receiver.results)
        assert evidence.failing_vantages == ["eu", "me"]
        assert (evidence.quorum, evidence.level) == (True, 2)
        hints = cause_hints({"example": evidence}, catalog)
        assert [h.code for h in hints] == [APPLICATION]
        assert hints[0].evidence["outcomes"] == {"http_5xx": 2}
        assert isinstance(hints[0].text, Phrase) and hints[0].text.args["failing"] == 2
    finally:
        stats = {region: _finish(agent) for region, agent in agents.items()}
        receiver.stop()
    # the least each agent had to run to show its three states (the schedule may run more)
    least = {"eu": 4 + 1, "me": 4 + 2 + 3}
    for region, figures in stats.items():
        assert figures["region"] == region
        assert figures["checks_run"] >= least[region] and figures["dropped"] == 0
        received = sum(1 for r in receiver.results if r.vantage == region)
        assert figures["results_delivered"] == received
    assert receiver.repeats == 0 and receiver.refused == 0


@pytest.mark.slow
def test_agents_hold_results_while_the_server_is_away(
    local_dns: LocalDns, web: LocalWeb, certificates: Certificates
) -> None:
    checks = [c for c in _checks(web) if c.kind in ("http", "tcp")]
    receiver = LocalReceiver(checks).start()
    roomy = _start_agent("roomy", receiver, local_dns, certificates, "--batch-size", "2")
    tight = _start_agent(
        "tight", receiver, local_dns, certificates, "--buffer-size", "3", "--batch-size", "2"
    )
    try:
        receiver.wait_for(lambda rs: {r.vantage for r in rs} == {"roomy", "tight"})
        receiver.stop()
        away_from = datetime.now(UTC)
        time.sleep(2.5)  # about ten results each at 4 a second: more than "tight" holds
        back_at = datetime.now(UTC)
        receiver.start()
        receiver.wait_for(
            lambda rs: all(any(r.vantage == v and r.ts > back_at for r in rs) for v in
                           ("roomy", "tight")),
            timeout=60,
        )  # fmt: skip
        assert roomy.poll() is None and tight.poll() is None  # they kept going all along
    finally:
        stats = {"roomy": _finish(roomy), "tight": _finish(tight)}
        receiver.stop()
    by_vantage = {v: [r for r in receiver.results if r.vantage == v] for v in stats}
    # nothing was lost where there was room: every result made it, those made while away too
    assert any(away_from < r.ts < back_at for r in by_vantage["roomy"])
    assert stats["roomy"]["dropped"] == 0 and stats["roomy"]["held"] == 0
    assert stats["roomy"]["results_delivered"] == stats["roomy"]["checks_run"]
    assert len(by_vantage["roomy"]) == stats["roomy"]["checks_run"]
    # where there was not, the oldest went and the server was told how many
    told = sum(b.dropped for b in receiver.batches if b.vantage == "tight")
    assert told >= 1
    assert stats["tight"]["dropped"] >= told
    assert len(by_vantage["tight"]) == stats["tight"]["results_delivered"]
    assert receiver.refused == 0


def test_once_runs_every_check_and_delivers(
    local_dns: LocalDns, secure_web: LocalWeb, certificates: Certificates
) -> None:
    checks = _checks(secure_web)
    receiver = LocalReceiver(checks).start()
    try:
        agent = _start_agent("eu", receiver, local_dns, certificates, "--once")
        stats = _finish(agent, stop=False)
    finally:
        receiver.stop()
    outcomes = {r.check: r.outcome for r in receiver.results}
    assert outcomes == {"dns-own": "ok", "dns-auth": "ok", "home": "ok", "port": "ok"}
    assert {r.vantage for r in receiver.results} == {"eu"}
    assert stats["checks_run"] == 4 and stats["results_delivered"] == 4 and stats["held"] == 0


def test_once_fails_when_no_server_takes_the_results(
    local_dns: LocalDns, certificates: Certificates
) -> None:
    receiver = LocalReceiver([])  # never started: nothing listens on its port
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", receiver.port)) != 0
    agent = _start_agent("eu", receiver, local_dns, certificates, "--once")
    out, err = agent.communicate(timeout=30)
    assert agent.returncode != 0
    assert "no check list" in err


def test_a_wrong_token_is_refused(
    local_dns: LocalDns, web: LocalWeb, certificates: Certificates
) -> None:
    receiver = LocalReceiver(_checks(web), token="right").start()
    try:
        agent = _start_agent("eu", receiver, local_dns, certificates, "--once", "--token", "wrong")
        out, err = agent.communicate(timeout=30)
    finally:
        receiver.stop()
    assert agent.returncode != 0
    assert "HTTP 401" in err
    assert receiver.results == []


@pytest.mark.slow
def test_failures_seen_while_the_canaries_fail_too_are_the_vantages_own(
    local_dns: LocalDns, certificates: Certificates
) -> None:
    service, canary = LocalWeb().start(), LocalWeb().start()
    checks = [c for c in _checks(service) if c.kind in ("http", "tcp")]
    receiver = LocalReceiver(checks).start()
    agent = _start_agent(
        "eu", receiver, local_dns, certificates, "--canary", canary.url, "--verbose"
    )
    try:
        receiver.wait_for(lambda rs: any(r.outcome == "ok" for r in rs))
        # the service alone fails: the canary answers, so the failures are believed
        service.mode = ERROR_5XX
        receiver.wait_for(lambda rs: any(r.outcome == "http_5xx" for r in rs))
        # the service goes away while the canary answers: still believed. Waiting for that
        # verdict means every 5xx seen before it has been judged, by a round the canary passed
        service.stop()
        receiver.wait_for(
            lambda rs: any(r.outcome == "connect_error" and not r.vantage_offline for r in rs)
        )
        # now the canary fails too: this vantage has lost its own link
        canary.stop()
        receiver.wait_for(lambda rs: sum(r.vantage_offline for r in rs) >= 2, timeout=60)
    finally:
        stats = _finish(agent)
        receiver.stop()
        service.stop()
        canary.stop()
    believed = [r for r in receiver.results if r.failed and not r.vantage_offline]
    dismissed = [r for r in receiver.results if r.vantage_offline]
    assert {r.outcome for r in believed} >= {"http_5xx"}
    assert {r.outcome for r in dismissed} == {"connect_error"}
    assert not any(r.outcome == "ok" for r in dismissed)
    assert stats["offline_results"] == len(dismissed)
    assert stats["canary_rounds"] >= 2 and stats["vantage_state"] == "offline"
    evidence = _evidence([r for r in receiver.results if r.ts >= dismissed[0].ts])
    assert (evidence.offline_vantages, evidence.failing_vantages) == (["eu"], [])
