"""How long from a service's DNS failing to Rasd opening an incident, with every part real.

A DNS server and a web server on 127.0.0.1, a Rasd server process and two probe agents (the
same set-up as the end-to-end probe test). The service's names start answering SERVFAIL at
whatever second of the minute the run reaches; the script times, from that moment:

- the first failed probe visible in the API (agents' interval plus delivery),
- the incident opened, and the DNS cause hint on its event,
- after the names are mended, the incident recovering.

Detection ticks once a minute, after the minute is over, and an incident opens after two
minutes of alarm, so most of the wait is set by the clock. The baseline, worked out for the
same failure moment, is the earliest opening those ticks allow: the end of the second alarm
minute plus the detection lag, taking the minute the failure starts in as the first (when the
failure starts late in a minute, too few of its checks fail for that, and the wait is a
minute longer). Peak memory (VmHWM) of the server and agents is printed too.

    .venv/bin/python bench/probe_to_incident.py [--runs 1] [--interval-scale 0.05]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from probe.local_dns import HEALTHY, SERVFAIL, LocalDns  # noqa: E402
from probe.local_rasd import (  # noqa: E402
    NAMES,
    ZONE,
    LocalRasd,
    start_agent,
    stop_agent,
    wait_for,
    write_catalog,
)
from probe.local_web import GOOD_TEXT, LocalWeb  # noqa: E402

from rasd.incidents import IncidentConfig  # noqa: E402
from rasd.settings import Settings  # noqa: E402


def _peak_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _floor_seconds(failed_at: datetime) -> float:
    """The earliest the minute ticks allow an incident after a failure at `failed_at`: the
    minute it starts in counts as the first of `open_after` alarm minutes, and the last one is
    ticked `detect_lag_seconds` after it ends."""
    left = 60.0 - (failed_at.second + failed_at.microsecond / 1e6)
    return left + 60.0 * (IncidentConfig().open_after - 1) + Settings().detect_lag_seconds


def _run(server: LocalRasd, dns: LocalDns, began: datetime, number: int) -> dict[str, float]:
    before = {i["id"] for i in server.incidents()}
    failed_wall = datetime.now(UTC)
    failed_at = time.monotonic()
    dns.set_mode(ZONE, SERVFAIL)
    failed_before = server.total("probes_failed", began)
    wait_for(
        "failed probes", lambda: server.total("probes_failed", began) > failed_before, 120, 0.2
    )
    to_signal = time.monotonic() - failed_at

    def new_incident() -> list[dict[str, object]] | None:
        rows = [i for i in server.incidents() if i["id"] not in before or number > 0]
        rows = [i for i in rows if i["state"] in ("opened", "ongoing")]
        return rows or None

    wait_for("an incident", new_incident, 600, 0.5)
    to_incident = time.monotonic() - failed_at
    wait_for("a DNS hint", lambda: [h for h in server.hints() if h["code"] == "dns_owner"], 300)
    to_hint = time.monotonic() - failed_at

    dns.set_mode(ZONE, HEALTHY)
    mended_at = time.monotonic()
    wait_for(
        "recovery",
        lambda: [i for i in server.incidents() if i["state"] in ("recovering", "resolved")],
        600,
        0.5,
    )
    to_recovering = time.monotonic() - mended_at
    return {
        "second_of_minute": failed_wall.second + failed_wall.microsecond / 1e6,
        "to_signal": to_signal,
        "to_incident": to_incident,
        "to_hint": to_hint,
        "floor": _floor_seconds(failed_wall),
        "to_recovering": to_recovering,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="failures, one after another")
    parser.add_argument("--interval-scale", type=float, default=0.05, help="agents' pace")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        dns = LocalDns(NAMES, [ZONE]).start()
        web = LocalWeb().start()
        catalog = write_catalog(folder / "catalog.toml", web.url, GOOD_TEXT)
        server = LocalRasd(folder, catalog)
        started = time.monotonic()
        server.start()
        startup = time.monotonic() - started
        began = datetime.now(UTC)
        agents = {
            region: start_agent(region, server, dns.address, dns.port, args.interval_scale, folder)
            for region in ("eu", "us")
        }
        results = []
        try:
            wait_for(
                "healthy results",
                lambda: all(server.total("probes_total", began, f"@{r}") > 0 for r in agents),
                60,
            )
            for number in range(args.runs):
                if number:
                    # let the last incident resolve, so the next failure is a new one
                    wait_for(
                        "the incident to resolve",
                        lambda: all(i["state"] == "resolved" for i in server.incidents()),
                        1200,
                        2.0,
                    )
                results.append(_run(server, dns, began, number))
                print(
                    f"run {number + 1}: failure at :{results[-1]['second_of_minute']:04.1f}  "
                    f"signal {results[-1]['to_signal']:.1f} s  "
                    f"incident {results[-1]['to_incident']:.1f} s "
                    f"(floor {results[-1]['floor']:.1f} s)  "
                    f"hint {results[-1]['to_hint']:.1f} s  "
                    f"recovering {results[-1]['to_recovering']:.1f} s",
                    flush=True,
                )
            peaks = {"server": _peak_kib(server.process.pid) if server.process else None}
            peaks.update({f"agent {r}": _peak_kib(a.pid) for r, a in agents.items()})
        finally:
            stats = {region: stop_agent(agent) for region, agent in agents.items()}
            server.close()
            web.stop()
            dns.stop()

    print(f"\nserver start-up: {startup:.1f} s")
    for region, figures in stats.items():
        print(
            f"agent {region}: {figures['checks_run']} checks, "
            f"{figures['results_delivered']} delivered, {figures['dropped']} dropped"
        )
    for what, kib in peaks.items():
        print(f"peak memory {what}: {kib / 1024:.0f} MiB" if kib else f"peak memory {what}: ?")
    if results:
        n = len(results)

        def mean(key: str) -> float:
            return math.fsum(r[key] for r in results) / n

        print(f"\nover {n} run(s), mean seconds from DNS failure:")
        print(f"  failed probe visible in the API  {mean('to_signal'):7.1f}")
        print(f"  incident opened                  {mean('to_incident'):7.1f}")
        print(f"  floor set by the minute ticks    {mean('floor'):7.1f}")
        print(f"  overhead over the floor          {mean('to_incident') - mean('floor'):7.1f}")
        print(f"  DNS cause hint on the event      {mean('to_hint'):7.1f}")
        print(f"  recovering, after DNS mended     {mean('to_recovering'):7.1f}")


if __name__ == "__main__":
    main()
