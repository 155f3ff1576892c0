"""What the benchmarks that run servers in their own processes share: ports, start and stop,
memory, the bare ASGI apps' lifespan, and wrk's way of writing a latency. Not a benchmark."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def served(name: str, command: list[str], env: dict[str, str], port: int) -> Iterator[int]:
    """Runs `command` until the block ends, once it accepts connections on `port`; its pid."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(600):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            if proc.poll() is not None:
                raise SystemExit(f"the {name} server stopped at start")
            time.sleep(0.1)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def lifespan(receive: Any, send: Any) -> None:
    """A bare ASGI app's answer to the server's start and stop."""
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return


def wrk_ms(text: str) -> float:
    """wrk's latency ("850.00us", "3.10ms", "1.20s") in milliseconds."""
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)


def wrk(url: str, connections: int, seconds: float, script: Path) -> dict[str, Any]:
    """One thread of wrk, a load generator in C, with `script`: requests per second, p50 and
    p99 latency in ms and as wrk wrote them, and the answers that were not 2xx or 3xx."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", str(script)]
        + [url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50, p99 = (out.split(f" {q}% ")[1].split()[0] for q in (50, 99))
    return {
        "rate": float(out.split("Requests/sec:")[1].split()[0]),
        "p50": wrk_ms(p50),
        "p99": wrk_ms(p99),
        "p50_text": p50,
        "p99_text": p99,
        "refused": int(refused.group(1)) if refused else 0,
        "output": out,
    }
