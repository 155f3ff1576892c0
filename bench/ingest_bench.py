"""Report ingest over HTTP: batch reports per second, and single POSTs against a bare ASGI app.

Starts a real Rasd server (SQLite in a temp directory) and, in the same run, a bare ASGI app
that answers every POST with 202 on the same server stack (uvicorn, uvloop, httptools). The
load comes from this process over loopback. Prints rates, latencies and the ratio: once with
every request from one address, as the load generator is, and once with each request naming
its own address (X-Forwarded-For, to both servers), so that every report is counted.

    .venv/bin/python bench/ingest_bench.py [--seconds 10] [--batches 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from serving import wrk, wrk_ms

TOKEN = "bench-import-token"
COUNTRIES = ["US", "DE", "NL", "EG", "SA", "AE", "FR", "GB", "MA", "IQ"]

BARE_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 202,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"accepted":1}'})
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _rasd(
    tmp: Path, port: int, name: str = "bench", settings: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A Rasd server with its own SQLite file `name`.db, and any further RASD_* settings."""
    env = {
        **os.environ,
        "RASD_STORE_URL": f"sqlite:///{tmp / f'{name}.db'}",
        "RASD_PORT": str(port),
        "RASD_IMPORT_TOKENS": f'["{TOKEN}"]',
        "RASD_REQUESTS_PER_SECOND": "1000000",
        "RASD_REQUEST_BURST": "1000000",
        # the load generator names a client address per request, as a proxy in front would
        "RASD_TRUSTED_PROXIES": '["127.0.0.1"]',
        **(settings or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "rasd.cli", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(f"http://127.0.0.1:{port}/api/v1/health", proc)
    return proc


def _bare(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    (tmp / "bare_app.py").write_text(BARE_APP)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(f"http://127.0.0.1:{port}/", proc)
    return proc


async def _singles(
    url: str, seconds: float, concurrency: int, spread: bool = False
) -> tuple[int, list[float]]:
    """`spread`: each request names its own client address, over millions of /24 networks as
    wrk's requests do. Each connection is opened by a first request before the clock starts."""
    latencies: list[float] = []
    done = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    draw = random.Random(os.getpid())  # new reporters and addresses in every run

    async def post(client: httpx.AsyncClient, w: int, i: int) -> int:
        body = orjson.dumps(
            {
                "service": "whatsapp",
                "problem": "messages",
                "reporter": f"s{draw.getrandbits(40)}-{w}-{i}",
                "country": COUNTRIES[i % 10],
            }
        )
        headers = {"Content-Type": "application/json"}
        if spread:
            headers["X-Forwarded-For"] = (
                f"{draw.randint(1, 223)}.{draw.randint(0, 255)}.{draw.randint(0, 255)}."
                f"{draw.randint(1, 254)}"
            )
        return (await client.post(url, content=body, headers=headers)).status_code

    async def worker(w: int, client: httpx.AsyncClient, deadline: float) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            status = await post(client, w, i)
            latencies.append(time.perf_counter() - t)
            if status == 202:
                done += 1
            i += 1

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(post(client, w, -1) for w in range(concurrency)))
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(worker(w, client, deadline) for w in range(concurrency)))
    return done, latencies


def _batch_bodies(n_batches: int, size: int) -> list[bytes]:
    bodies = []
    for b in range(n_batches):
        items = [
            {
                "service": ("facebook", "instagram", "whatsapp", "messenger")[i % 4],
                "problem": "app",
                "reporter": f"b{b}-{i}",
                "country": COUNTRIES[i % 10],
                "ip": f"10.{b % 250}.{(i // 250) % 250}.{i % 250}",
            }
            for i in range(size)
        ]
        bodies.append(orjson.dumps(items))
    return bodies


async def _batches(
    url: str, bodies: list[bytes], concurrency: int
) -> tuple[int, float, list[float]]:
    queue = list(bodies)
    sent = 0
    latencies: list[float] = []

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal sent
        while queue:
            body = queue.pop()
            t = time.perf_counter()
            r = await client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
            )
            latencies.append(time.perf_counter() - t)
            if r.status_code != 202:
                raise RuntimeError(r.text[:300])
            sent += int(r.json()["accepted"])

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return sent, time.perf_counter() - start, latencies


# spread = true: every request from its own address, so that no network limit holds a
# report back and each one counts: in millions of /24 networks, as the limit of a few reports
# per network and quarter hour had held back nearly all of them after the first round in the
# 65,536 of 10.0.0.0/8 (later rounds cost less a request, counting nothing). Each run draws
# from its own seed: wrk's random numbers start from the same seed in every run, so each
# round had sent the first one's reporters again, duplicates counted as nothing.
_WRK_SCRIPT = """
math.randomseed(%(seed)d)
counter = 0
local spread = %(spread)s
request = function()
  counter = counter + 1
  local body = string.format(
    '{"service":"whatsapp","problem":"messages","reporter":"w%%d-%%d","country":"EG"}',
    math.random(1, 1000000000), counter)
  local headers = {["Content-Type"] = "application/json"}
  if spread then
    headers["X-Forwarded-For"] = string.format("%%d.%%d.%%d.%%d", math.random(1, 223),
      math.random(0, 255), math.random(0, 255), math.random(1, 254))
  end
  return wrk.format("POST", "/api/v1/reports", headers, body)
end
"""


# distinct reporters and addresses in every batch, built before the clock starts
_WRK_BATCH_SCRIPT = """
local bodies = {}
local n_bodies = %(bodies)d
init = function(args)
  local countries = {"US", "DE", "NL", "EG", "SA", "AE", "FR", "GB", "MA", "IQ"}
  local services = {"facebook", "instagram", "whatsapp", "messenger"}
  for b = 1, n_bodies do
    local parts = {}
    for i = 0, %(size)d - 1 do
      parts[i + 1] = string.format(
        '{"service":"%%s","problem":"app","reporter":"w%%d-%%d","country":"%%s","ip":"10.%%d.%%d.%%d"}',
        services[i %% 4 + 1], b, i, countries[i %% 10 + 1], b %% 250,
        math.floor(i / 250) %% 250, i %% 250)
    end
    bodies[b] = "[" .. table.concat(parts, ",") .. "]"
  end
end
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/api/v1/reports/batch",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"},
    bodies[(counter - 1) %% n_bodies + 1])
end
"""


def _wrk_batches(
    url: str, seconds: float, connections: int, size: int, tmp: Path
) -> tuple[float, str, str]:
    """Reports per second and p50/p99 latency per batch, batches posted by wrk."""
    script = tmp / "batch.lua"
    # enough distinct batches that no reporter comes twice at up to 20 batches a second
    bodies = max(40, int(seconds * 20 * 10_000 / size))
    script.write_text(_WRK_BATCH_SCRIPT % {"bodies": bodies, "size": size, "token": TOKEN})
    rate, p50, p99 = _wrk(url, seconds, connections, tmp, script)
    return rate * size, p50, p99


def _wrk(
    url: str, seconds: float, connections: int, tmp: Path, script: Path | None = None
) -> tuple[float, str, str]:
    """Requests per second and p50/p99 latency from wrk, a load generator in C."""
    if script is None:
        script = post_script(tmp, spread=False)
    result = wrk(url, connections, seconds, script)
    if result["refused"]:
        raise RuntimeError("some requests were refused: " + result["output"])
    return result["rate"], result["p50_text"], result["p99_text"]


_runs = itertools.count(1)


def post_script(tmp: Path, *, spread: bool) -> Path:
    """wrk's script of single POSTs, with reporters (and addresses) no run before it drew."""
    run = next(_runs)
    script = tmp / f"post-{run}.lua"
    seed = run * 1_000_003 + os.getpid()
    script.write_text(_WRK_SCRIPT % {"spread": "true" if spread else "false", "seed": seed})
    return script


def _ms(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds, each from its own address"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rasd_port, bare_port = _free_port(), _free_port()
        rasd = _rasd(tmp, rasd_port)
        bare = _bare(tmp, bare_port)
        try:
            if shutil.which("wrk"):
                rate, p50, p99 = _wrk_batches(
                    f"http://127.0.0.1:{rasd_port}", args.seconds, 2, args.batch_size, tmp
                )
                print(
                    f"batch ingest: {rate:,.0f} reports/s (batches of {args.batch_size:,}, "
                    f"2 connections, wrk; p50 {p50}, p99 {p99} per batch)"
                )
            else:  # the Python client is slower than the server: a floor, not the figure
                bodies = _batch_bodies(args.batches, args.batch_size)
                sent, took, blat = asyncio.run(
                    _batches(f"http://127.0.0.1:{rasd_port}/api/v1/reports/batch", bodies, 2)
                )
                print(
                    f"batch ingest: {sent / took:,.0f} reports/s (batches of "
                    f"{args.batch_size:,}, 2 connections, httpx; p50 {_ms(blat, 50):.0f} ms, "
                    f"p99 {_ms(blat, 99):.0f} ms per batch)"
                )
            if shutil.which("wrk"):
                bare_rate, bare_50, bare_99 = _wrk(
                    f"http://127.0.0.1:{bare_port}", args.seconds, args.concurrency, tmp
                )
                rasd_rate, rasd_50, rasd_99 = _wrk(
                    f"http://127.0.0.1:{rasd_port}", args.seconds, args.concurrency, tmp
                )
                tool = "wrk"
            else:  # a Python load generator: it is the bottleneck, so only the ratio means much
                bare_n, bare_lat = asyncio.run(
                    _singles(
                        f"http://127.0.0.1:{bare_port}/api/v1/reports",
                        args.seconds,
                        args.concurrency,
                    )
                )
                rasd_n, rasd_lat = asyncio.run(
                    _singles(
                        f"http://127.0.0.1:{rasd_port}/api/v1/reports",
                        args.seconds,
                        args.concurrency,
                    )
                )
                bare_rate, rasd_rate = bare_n / args.seconds, rasd_n / args.seconds
                bare_50, bare_99 = f"{_ms(bare_lat, 50):.1f}ms", f"{_ms(bare_lat, 99):.1f}ms"
                rasd_50, rasd_99 = f"{_ms(rasd_lat, 50):.1f}ms", f"{_ms(rasd_lat, 99):.1f}ms"
                tool = "httpx"
            print(
                f"single POST, bare ASGI app: {bare_rate:,.0f}/s (p50 {bare_50}, p99 {bare_99}; "
                f"{args.concurrency} connections, {tool})"
            )
            print(f"single POST, Rasd (durable): {rasd_rate:,.0f}/s (p50 {rasd_50}, p99 {rasd_99})")
            print(f"ratio Rasd / bare: {rasd_rate / bare_rate:.2f} (target >= 0.5)")
            if shutil.which("wrk"):
                # one client address above: past the network limit its reports are stored and
                # not counted; here every report is counted
                # (the server stack reads the forwarded address for the bare app too).
                # Rounds alternate between the two servers, so a neighbour's load falls on both.
                print(
                    "single POST, every request from its own address (each report counted), "
                    f"{args.concurrency} connections, rounds of {args.seconds:.0f} s:"
                )
                tails: dict[str, list[float]] = {"bare": [], "rasd": []}
                rates: dict[str, list[float]] = {"bare": [], "rasd": []}
                for r in range(args.rounds):
                    for name, port in (("bare", bare_port), ("rasd", rasd_port)):
                        script = post_script(tmp, spread=True)
                        rate, p50, p99 = _wrk(
                            f"http://127.0.0.1:{port}", args.seconds, args.concurrency, tmp, script
                        )
                        rates[name].append(rate)
                        tails[name].append(wrk_ms(p99))
                        print(
                            f"  round {r + 1} {name:4}: {rate:8,.0f}/s  p50 {p50:>8}  p99 {p99:>8}"
                        )
                ratio = statistics.median(rates["rasd"]) / statistics.median(rates["bare"])
                print(
                    f"  medians: bare {statistics.median(rates['bare']):,.0f}/s p99 "
                    f"{statistics.median(tails['bare']):.2f} ms; Rasd "
                    f"{statistics.median(rates['rasd']):,.0f}/s p99 "
                    f"{statistics.median(tails['rasd']):.2f} ms (target <= 5 ms); "
                    f"ratio {ratio:.2f} (target >= 0.5)"
                )
        finally:
            for proc in (rasd, bare):
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    main()
