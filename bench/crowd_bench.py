"""Pages under a crowd: p99 of page requests with 200 concurrent readers while reports arrive.

A real `rasd serve` on 127.0.0.1 is read by wrk (200 connections, the home, service and history
pages in English and Arabic, and an event page once one exists) while a second wrk posts single
reports at about 2,000 a second, each from its own address (X-Forwarded-For, with 127.0.0.1 a
trusted proxy, so every report is counted, as a crowd's would be). The same two loads then hit a
bare ASGI app on the same uvicorn answering each page's path and language with a body of that
page's size (and 202 to the posts), the baseline measured in the same run. Needs wrk.

    .venv/bin/python bench/crowd_bench.py [--seconds 15] [--readers 200] [--rate 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from serving import free_port, lifespan, served, wrk

from rasd.catalog import default_catalog

REPORT_CONNECTIONS = 48
PAGES = ["/", "/services/whatsapp", "/services/facebook", "/history", "/services/telegram"]

_PAGES_SCRIPT = """
local paths = {%(paths)s}
local languages = {"en", "ar"}
local n = 0
request = function()
  n = n + 1
  local path = paths[(n %% #paths) + 1]
  local lang = languages[(math.floor(n / #paths) %% 2) + 1]
  return wrk.format("GET", path, {["Accept-Language"] = lang})
end
"""

_REPORTS_SCRIPT = """
local services = {%(services)s}
local n = 0
local id = 0
setup = function(thread)
  id = id + 1
  thread:set("id", id)
end
request = function()
  n = n + 1
  local k = n * 64 + id
  local ip = string.format("10.%%d.%%d.%%d",
    math.floor(k / 65536) %% 256, math.floor(k / 256) %% 256, k %% 256)
  local s = services[(k %% #services) + 1]
  local body = string.format(
    '{"service":"%%s","problem":"%%s","reporter":"crowd-%%d","country":"EG"}', s[1], s[2], k)
  local headers = {["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip}
  return wrk.format("POST", "/api/v1/reports", headers, body)
end
delay = function()
  return %(delay)s
end
"""


def _bare_app(sizes: dict[str, int]) -> Any:
    """Answers `path` in `lang` with as many bytes as Rasd's page (`sizes["lang path"]`)."""
    pages = {key: b"x" * size for key, size in sizes.items()}
    accepted = b'{"status":"accepted"}'

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["method"] == "POST":
            more = True
            while more:
                more = (await receive()).get("more_body", False)
            status, body, kind = 202, accepted, b"application/json"
        else:
            lang = next((v for k, v in scope["headers"] if k == b"accept-language"), b"en")
            body = pages[f"{lang.decode()} {scope['path']}"]
            status, kind = 200, b"text/html; charset=utf-8"
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@contextlib.contextmanager
def _server(kind: str, port: int, sizes: Path | None = None) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "RASD_OFFLINE": "true",
            "RASD_PORT": str(port),
            "RASD_STORE_URL": f"sqlite:///{Path(tmp) / 'crowd.db'}",
            "RASD_TRUSTED_PROXIES": '["127.0.0.1"]',
            "RASD_SOURCES_ENABLED": "false",
            "RASD_PROBER_ENABLED": "false",
        }
        if kind == "rasd":
            command = [sys.executable, "-m", "rasd.cli", "serve", "--port", str(port)]
        else:
            command = [sys.executable, __file__, "--bare", str(sizes), "--port", str(port)]
        with served(kind, command, env, port):
            yield f"http://127.0.0.1:{port}"


def _reports_script(tmp: Path, delay_ms: float) -> Path:
    catalog = default_catalog()
    services = ", ".join(f'{{"{s.id}", "{s.problems[0]}"}}' for s in catalog)
    script = tmp / f"reports-{delay_ms:.2f}.lua"
    script.write_text(_REPORTS_SCRIPT % {"services": services, "delay": f"{delay_ms:.2f}"})
    return script


def _together(url: str, pages: Path, readers: int, reports: Path, seconds: float) -> dict[str, Any]:
    """The readers and the poster at once; the poster starts a second early and ends a second
    late, so every page request is measured while reports arrive."""
    result: dict[str, Any] = {}

    def post() -> None:
        result["reports"] = wrk(url, REPORT_CONNECTIONS, seconds + 2, reports)

    poster = threading.Thread(target=post)
    poster.start()
    time.sleep(1)
    result["pages"] = wrk(url, readers, seconds, pages)
    poster.join()
    return result


def _calibrated(url: str, tmp: Path, rate: float, pages: Path, readers: int) -> Path:
    """A report script whose pause between requests gives about `rate` a second here, found
    with the readers reading: wrk waits for each answer, so a pause found on a quiet server
    gives fewer reports once the crowd slows the answers down."""
    delay = REPORT_CONNECTIONS * 1000 / rate
    for _ in range(6):
        got = _together(url, pages, readers, _reports_script(tmp, delay), 3)["reports"]["rate"]
        if abs(got - rate) < 0.03 * rate or (delay == 0.0 and got < rate):
            break
        # the time a request takes beside the pause: take it off the pause
        delay = max(
            0.0, delay - (REPORT_CONNECTIONS * 1000 / got - REPORT_CONNECTIONS * 1000 / rate)
        )
    return _reports_script(tmp, delay)


def _measure(url: str, tmp: Path, args: argparse.Namespace, paths: list[str]) -> dict[str, Any]:
    pages = tmp / "pages.lua"
    pages.write_text(_PAGES_SCRIPT % {"paths": ", ".join(f'"{p}"' for p in paths)})
    reports = _calibrated(url, tmp, args.rate, pages, args.readers)
    return _together(url, pages, args.readers, reports, args.seconds)


def _paths(url: str) -> tuple[list[str], dict[str, int]]:
    with httpx.Client(base_url=url, timeout=30) as client:
        events = client.get("/api/v1/events").json().get("events") or []
        paths = PAGES + ([f"/events/{events[0]['id']}"] if events else [])
        sizes = {}
        for path in paths:
            for lang in ("en", "ar"):
                response = client.get(path, headers={"accept-language": lang})
                response.raise_for_status()
                sizes[f"{lang} {path}"] = len(response.content)
    return paths, sizes


def _line(name: str, r: dict[str, Any]) -> str:
    pages, reports = r["pages"], r["reports"]
    return (
        f"{name}: pages {pages['rate']:,.0f}/s, p50 {pages['p50']:.1f} ms, "
        f"p99 {pages['p99']:.1f} ms ({pages['refused']} not 2xx); "
        f"reports {reports['rate']:,.0f}/s ({reports['refused']} not 2xx)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--readers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare is not None:
        import uvicorn

        app = _bare_app(orjson.loads(args.bare.read_bytes()))
        uvicorn.run(
            app,
            host="127.0.0.1",
            port=args.port,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            access_log=False,
        )
        return
    if shutil.which("wrk") is None:
        raise SystemExit("crowd_bench needs wrk (a load generator in C)")
    with tempfile.TemporaryDirectory() as tmp:
        load = Path("/proc/loadavg").read_text().split()[:3]
        with _server("rasd", free_port()) as url:
            paths, sizes = _paths(url)
            rasd = _measure(url, Path(tmp), args, paths)
        sized = Path(tmp) / "sizes.json"
        sized.write_bytes(orjson.dumps(sizes))
        with _server("bare", free_port(), sized) as url:
            bare = _measure(url, Path(tmp), args, paths)
        end = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"{args.readers} readers for {args.seconds:.0f} s of {len(paths)} pages x 2 languages "
        f"(home {sizes['en /']:,} B, {min(sizes.values()):,}-{max(sizes.values()):,} B) "
        "while single reports are posted, each from its own address; "
        f"load {' '.join(load)} -> {' '.join(end)}"
    )
    print(_line("bare ASGI", bare))
    print(_line("rasd", rasd))
    for name, r in (("bare ASGI", bare), ("rasd", rasd)):
        held = r["reports"]["rate"] / args.rate
        if abs(held - 1) >= 0.05:
            print(f"{name}: the reports ran at {held:.0%} of the {args.rate:,.0f}/s asked")
    print(
        f"ratio to bare: pages/s {rasd['pages']['rate'] / bare['pages']['rate']:.2f}, "
        f"p99 {rasd['pages']['p99']:.1f} ms against {bare['pages']['p99']:.1f} ms (target <= 50 ms)"
    )


if __name__ == "__main__":
    main()
