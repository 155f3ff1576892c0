"""What the network lookup costs ingest: report POSTs with a network file beside without one.

Two real Rasd servers in the same run, the same settings but one with `network_db`: an MMDB
file built here the way ASN files are laid out (an IPv6 tree holding IPv4), with 65,536
networks of 256 addresses held by `--ases` autonomous systems, each with a name and a country.
Every request names its own client address (X-Forwarded-For, as behind a proxy), drawn over all
those networks, so nearly every report is a lookup that the /24 memo has not seen. Rounds
alternate between the two servers, so that a slow moment of the machine falls on both alike;
a first round warms both up and is not counted.

People come from far fewer networks than addresses: the default, 1,024 ASes, is about what a
country's reports come from. `--ases 65536` is the worst case, every report from an AS not
seen before, each a new series to store.

    .venv/bin/python bench/network_bench.py [--seconds 8] [--rounds 3] [--ases 1024]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

# ingest_bench's load: with `spread`, every request from its own address
from ingest_bench import _free_port, _rasd, _singles, _wrk, post_script


def _network_file(path: Path, ases: int) -> Path:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-ASN", ipv4_compatible=True)
    countries = ["EG", "SA", "AE", "US", "DE", "FR", "GB", "MA", "IQ", "NL"]
    for i in range(65_536):
        asn = i % ases
        writer.insert_network(
            IPSet([f"10.{i >> 8}.{i & 255}.0/24"]),
            {
                "autonomous_system_number": 64_512 + asn,
                "autonomous_system_organization": f"Bench Network {asn} Telecom",
                "country": {"iso_code": countries[asn % len(countries)]},
            },
        )
    writer.to_db_file(str(path))
    return path


def _rate(port: int, seconds: float, concurrency: int, tmp: Path) -> float:
    if shutil.which("wrk"):
        script = post_script(tmp, spread=True)
        rate, _, _ = _wrk(f"http://127.0.0.1:{port}", seconds, concurrency, tmp, script)
        return rate
    url = f"http://127.0.0.1:{port}/api/v1/reports"
    # a Python client is slower than the server: a floor of the rate, not the rate
    return asyncio.run(_singles(url, seconds, concurrency, spread=True))[0] / seconds


def _networks_counted(port: int) -> int:
    body = httpx.get(
        f"http://127.0.0.1:{port}/api/v1/services/whatsapp/networks", params={"top": 100}
    ).json()
    return int(body["total"]) if body["network_data"] else 0


def main() -> None:
    parser = argparse.ArgumentParser(description="network lookup on beside off")
    for flag, kind, default in (
        ("--seconds", float, 8.0),
        ("--rounds", int, 3),
        ("--concurrency", int, 32),
        ("--ases", int, 1024),
    ):
        parser.add_argument(flag, type=kind, default=default)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        started = time.perf_counter()
        network_db = _network_file(tmp / "networks.mmdb", args.ases)
        print(
            f"network file: 65,536 networks of {args.ases:,} ASes, "
            f"{network_db.stat().st_size / 1e6:.1f} MB, "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        off_port, on_port = _free_port(), _free_port()
        offline = {"RASD_OFFLINE": "true"}
        servers = [
            _rasd(tmp, off_port, "without", offline),
            _rasd(tmp, on_port, "with", {**offline, "RASD_NETWORK_DB": f'["{network_db}"]'}),
        ]
        try:
            off: list[float] = []
            on: list[float] = []
            _rate(off_port, args.seconds / 2, args.concurrency, tmp)
            _rate(on_port, args.seconds / 2, args.concurrency, tmp)
            for _ in range(args.rounds):
                off.append(_rate(off_port, args.seconds, args.concurrency, tmp))
                on.append(_rate(on_port, args.seconds, args.concurrency, tmp))
            tool = "wrk" if shutil.which("wrk") else "httpx (a floor: the client is slower)"
            print(f"single POST, each from its own address, {args.concurrency} connections, {tool}")
            print("  without network data: " + ", ".join(f"{r:,.0f}/s" for r in off))
            print("  with the network file: " + ", ".join(f"{r:,.0f}/s" for r in on))
            best_off, best_on = max(off), max(on)
            median_off, median_on = statistics.median(off), statistics.median(on)
            print(
                f"  cost of the lookup: best {1 - best_on / best_off:+.1%}, "
                f"median {1 - median_on / median_off:+.1%} of throughput (target <= 10%)"
            )
            time.sleep(2)  # the last requests are counted and written
            counted = _networks_counted(on_port)
            print(f"  reports counted by network on the server with the file: {counted:,}")
        finally:
            for proc in servers:
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
