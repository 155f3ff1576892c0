"""A real Rasd server process and real probe agent processes, on 127.0.0.1, watching one test
service whose names live on a local DNS server: the parts the end-to-end probe test and the
probe-to-incident benchmark share.

The server's catalog is the built-in one with every service disabled and the test service
added, so agents probe nothing but local servers. The server's own prober is off unless a
test asks for it (with its settings), so that the results counted are the agents' alone.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

import rasd
from rasd.catalog import load_catalog

SERVICE = "example"
OWNER = "example-inc"
ZONE = "example.test."
NAMES = {
    "www.example.test.": {"A": ["127.0.0.1"]},
    "api.example.test.": {"A": ["127.0.0.1"]},
}
TOKEN = "end-to-end-ingest-token"
# the processes run away from the working tree: they import the same code as this test
SOURCES = str(Path(rasd.__file__).resolve().parents[1])

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_catalog(path: Path, web_url: str, expect_text: str, extra: Sequence[str] = ()) -> Path:
    """Every built-in service off, and the test service: two names and a home page; `extra`
    lines of TOML after it (more services)."""
    lines = [
        "[[owner]]",
        f'id = "{OWNER}"',
        'name = { en = "Example Inc", ar = "شركة المثال" }',
        "",
        "[[service]]",
        f'id = "{SERVICE}"',
        'name = { en = "Example", ar = "المثال" }',
        f'owner = "{OWNER}"',
        'category = "social"',
        "countries = []",
        'domains = ["example.test"]',
        f'dns_provider = "{OWNER}"',
        'problems = ["app", "login"]',
        "popularity = 0.1",
        'aliases.en = ["Example Chat"]',
        "endpoints = [",
        '  { kind = "dns", target = "www.example.test" },',
        '  { kind = "dns", target = "api.example.test" },',
        f'  {{ kind = "http", target = "{web_url}", expect_text = "{expect_text}" }},',
        "]",
        "",
        *extra,
    ]
    for service in load_catalog():
        lines += ["[[service]]", f'id = "{service.id}"', "disabled = true", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def wait_for(what: str, condition: Callable[[], T], timeout: float, every: float = 0.5) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


class LocalRasd:
    """`python -m rasd.cli serve` on a free port with a SQLite file, the catalog file and the
    ingest token; it can be killed and started again on the same port and store."""

    def __init__(
        self,
        folder: Path,
        catalog: Path,
        *,
        prober: dict[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self.env = {
            **os.environ,
            "PYTHONPATH": SOURCES,
            "RASD_STORE_URL": f"sqlite:///{folder / 'rasd.db'}",
            "RASD_HOST": host,
            "RASD_PORT": str(self.port),
            "RASD_INGEST_TOKENS": json.dumps([TOKEN]),
            "RASD_CATALOG_FILES": json.dumps([str(catalog)]),
            **({"RASD_PROBER_ENABLED": "false"} if prober is None else prober),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.url, timeout=10.0, trust_env=False)
        self.starts = 0

    def start(self, timeout: float = 120.0) -> LocalRasd:
        self.starts += 1
        log = (self.folder / f"server-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rasd.cli", "serve"],
            cwd=self.folder,  # away from any rasd.toml of the working tree
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for("the server to answer", self._healthy, timeout)
        return self

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the server exited: {self.log_tail()}")
        try:
            return self.http.get("/api/v1/health").status_code == 200
        except httpx.TransportError:
            return False

    def log_tail(self) -> str:
        logs = sorted(self.folder.glob("server-*.log"))
        return logs[-1].read_text(errors="replace")[-3000:] if logs else ""

    def kill(self) -> None:
        """SIGKILL: no goodbye, whatever was in flight."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def close(self) -> None:
        self.stop()
        self.http.close()

    # --- reading what it says ---

    def series(self, signal: str, since: datetime, region: str = "*") -> list[tuple[str, int]]:
        now = datetime.now(UTC)
        response = self.http.get(
            f"/api/v1/services/{SERVICE}/series",
            params={
                "signal": signal,
                "region": region,
                "since": since.isoformat(),
                "until": (now + timedelta(minutes=2)).isoformat(),
                "step": "1m",
            },
        )
        response.raise_for_status()
        return [(p["t"], int(p["n"])) for p in response.json()["points"]]

    def total(self, signal: str, since: datetime, region: str = "*") -> int:
        return sum(n for _, n in self.series(signal, since, region))

    def incidents(self) -> list[dict[str, Any]]:
        response = self.http.get("/api/v1/incidents", params={"service": SERVICE})
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["incidents"]
        return rows

    def hints(self) -> list[dict[str, Any]]:
        response = self.http.get("/api/v1/events")
        response.raise_for_status()
        return [
            hint
            for event in response.json()["events"]
            for hint in event.get("cause_hints", [])
            if SERVICE in hint.get("services", [])
        ]


def start_agent(
    region: str,
    server: LocalRasd,
    resolver: str,
    authoritative_port: int,
    interval_scale: float,
    folder: Path,
    *extra: str,
    wrapper: Sequence[str] = (),
) -> subprocess.Popen[str]:
    """`extra` options for the agent; `wrapper` runs it through another command (for instance
    `ip netns exec NAME`, to run it inside a network namespace)."""
    command = [
        *wrapper, sys.executable, "-m", "rasd.cli", "probe-agent",
        "--region", region, "--server", server.url, "--token", TOKEN,
        "--resolver", resolver, "--authoritative-port", str(authoritative_port),
        "--interval-scale", str(interval_scale), "--concurrency", "4", *extra,
    ]  # fmt: skip
    errors = (folder / f"agent-{region}.err").open("w")
    env = {**os.environ, "PYTHONPATH": SOURCES}
    agent = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=folder, env=env
    )
    errors.close()
    return agent


def stop_agent(agent: subprocess.Popen[str]) -> dict[str, Any]:
    """SIGTERM, then the figures the agent prints as its last line."""
    if agent.poll() is None:
        agent.send_signal(signal.SIGTERM)
    out, _ = agent.communicate(timeout=30)
    if agent.returncode != 0:
        raise AssertionError(f"the agent exited with {agent.returncode}")
    stats: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return stats
