"""Pages under a crowd: p99 of page requests with 200 concurrent readers while reports arrive.

A real `rasd serve` on 127.0.0.1 is read by wrk (200 connections, the home, service and history
pages in English and Arabic, and an event page once one exists, each request with
`Accept-Encoding: gzip, br` as a browser sends it) while `poster.py`, a process of its own,
posts single reports open-loop at 2,000 a second: each is due at a fixed time whatever the
answers take (wrk waits for each answer, and fell short under the crowd), each from its own
address (X-Forwarded-For, with 127.0.0.1 a trusted proxy, so every report is counted, as a
crowd's would be). The same two loads then hit a bare ASGI app on the same uvicorn answering
each page's path and language with Rasd's own gzip bytes of that page, so the same size on the
wire (it sends them whatever the request accepts: the readers all take gzip), and 202 to the
posts: the baseline measured in the same run. Needs wrk.

    .venv/bin/python bench/crowd_bench.py [--seconds 15] [--readers 200] [--rate 2000]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from serving import free_port, lifespan, served, wrk

POSTER = Path(__file__).with_name("poster.py")
PAGES = ["/", "/services/whatsapp", "/services/facebook", "/history", "/services/telegram"]

_PAGES_SCRIPT = """
local paths = {%(paths)s}
local languages = {"en", "ar"}
local n = 0
request = function()
  n = n + 1
  local path = paths[(n %% #paths) + 1]
  local lang = languages[(math.floor(n / #paths) %% 2) + 1]
  return wrk.format("GET", path, {["Accept-Language"] = lang, ["Accept-Encoding"] = "gzip, br"})
end
"""


def _bare_app(pages: dict[str, str]) -> Any:
    """Answers `path` in `lang` with Rasd's gzip bytes of that page (`pages["lang path"]`,
    latin-1 text in the file), as Rasd answers a reader who takes gzip."""
    bodies = {key: body.encode("latin-1") for key, body in pages.items()}
    accepted = b'{"status":"accepted"}'

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["method"] == "POST":
            more = True
            while more:
                more = (await receive()).get("more_body", False)
            headers = [(b"content-type", b"application/json")]
            status, body = 202, accepted
        else:
            lang = next((v for k, v in scope["headers"] if k == b"accept-language"), b"en")
            body = bodies[f"{lang.decode()} {scope['path']}"]
            status = 200
            headers = [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-encoding", b"gzip"),
            ]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@contextlib.contextmanager
def _server(kind: str, port: int, sizes: Path | None = None) -> Iterator[int]:
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
        with served(kind, command, env, port) as pid:
            yield pid


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # user + system


def _together(
    port: int, pid: int, pages: Path, readers: int, rate: float, seconds: float
) -> dict[str, Any]:
    """The readers and the poster at once; the poster starts a second early and ends a second
    late, so every page request is measured while reports arrive."""
    command = [sys.executable, str(POSTER), "--port", str(port), "--rate", str(rate)]
    poster = subprocess.Popen(
        [*command, "--seconds", str(seconds + 2)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert poster.stdout is not None
        poster.stdout.readline()  # its requests made, its clock started
        time.sleep(1)
        before = _cpu_seconds(pid)
        result: dict[str, Any] = {"pages": wrk(f"http://127.0.0.1:{port}", readers, seconds, pages)}
        result["cpu"] = _cpu_seconds(pid) - before
        out, _ = poster.communicate(timeout=seconds + 60)
    finally:
        if poster.poll() is None:
            poster.kill()
            poster.wait()
    result["reports"] = orjson.loads(out)
    return result


def _measure(
    port: int, pid: int, tmp: Path, args: argparse.Namespace, paths: list[str]
) -> dict[str, Any]:
    pages = tmp / "pages.lua"
    pages.write_text(_PAGES_SCRIPT % {"paths": ", ".join(f'"{p}"' for p in paths)})
    return _together(port, pid, pages, args.readers, args.rate, args.seconds)


def _paths(url: str) -> tuple[list[str], dict[str, int], dict[str, str]]:
    """The pages read, each page's size as drawn and its gzip bytes as sent (latin-1 text)."""
    with httpx.Client(base_url=url, timeout=30) as client:
        events = client.get("/api/v1/events").json().get("events") or []
        paths = PAGES + ([f"/events/{events[0]['id']}"] if events else [])
        sizes, packed = {}, {}
        for path in paths:
            for lang in ("en", "ar"):
                headers = {"accept-language": lang, "accept-encoding": "gzip, br"}
                with client.stream("GET", path, headers=headers) as response:
                    response.raise_for_status()
                    if response.headers.get("content-encoding") != "gzip":
                        raise SystemExit(f"{path} was not sent gzipped")
                    raw = b"".join(response.iter_raw())
                sizes[f"{lang} {path}"] = len(gzip.decompress(raw))
                packed[f"{lang} {path}"] = raw.decode("latin-1")
    return paths, sizes, packed


def _line(name: str, r: dict[str, Any], seconds: float) -> str:
    pages, reports = r["pages"], r["reports"]
    return (
        f"{name}: pages {pages['rate']:,.0f}/s, p50 {pages['p50']:.1f} ms, "
        f"p99 {pages['p99']:.1f} ms ({pages['refused']} not 2xx); "
        f"reports {reports['rate']:,.0f}/s acknowledged of {reports['asked']:,.0f}/s asked "
        f"({reports['sent']:,} sent, {reports['acknowledged']:,} 2xx, {reports['refused']} not, "
        f"{reports['failed']} unanswered, {reports['late']} sent late), "
        f"p50 {reports['p50']:.1f} ms, p99 {reports['p99']:.1f} ms "
        f"on {reports['opened']} connections; server CPU {r['cpu']:.1f} s in the readers' "
        f"{seconds:.0f} s, {_per_request(r, seconds):.0f} us a request"
    )


def _per_request(r: dict[str, Any], seconds: float) -> float:
    """The server's CPU time over the readers' window per request answered in it (the pages
    and the reports acknowledged at their rate): a figure the machine's load moves less than
    latency."""
    requests = r["pages"]["rate"] * seconds + r["reports"]["rate"] * seconds
    return float(r["cpu"] / requests * 1e6)


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
        port = free_port()
        with _server("rasd", port) as pid:
            paths, sizes, packed = _paths(f"http://127.0.0.1:{port}")
            rasd = _measure(port, pid, Path(tmp), args, paths)
        sized = Path(tmp) / "pages.json"
        sized.write_bytes(orjson.dumps(packed))
        port = free_port()
        with _server("bare", port, sized) as pid:
            bare = _measure(port, pid, Path(tmp), args, paths)
        end = Path("/proc/loadavg").read_text().split()[:3]
    wire = [len(body) for body in packed.values()]
    print(
        f"{args.readers} readers for {args.seconds:.0f} s of {len(paths)} pages x 2 languages "
        f"(home {sizes['en /']:,} B, {min(sizes.values()):,}-{max(sizes.values()):,} B, "
        f"gzipped {min(wire):,}-{max(wire):,} B) while single reports are posted open-loop, "
        f"each from its own address; load {' '.join(load)} -> {' '.join(end)}"
    )
    print(_line("bare ASGI", bare, args.seconds))
    print(_line("rasd", rasd, args.seconds))
    for name, r in (("bare ASGI", bare), ("rasd", rasd)):
        held = r["reports"]["rate"] / args.rate
        if abs(held - 1) >= 0.05:
            print(f"{name}: the reports were acknowledged at {held:.0%} of the {args.rate:,.0f}/s")
    print(
        f"ratio to bare: pages/s {rasd['pages']['rate'] / bare['pages']['rate']:.2f}, "
        f"p99 {rasd['pages']['p99']:.1f} ms against {bare['pages']['p99']:.1f} ms (target <= 50 ms)"
    )


if __name__ == "__main__":
    main()
