"""nats-server for tests: the machine's on 4222, or a private one on a free port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

NATS_URL = "nats://127.0.0.1:4222"
_SERVER = "/usr/sbin/nats-server"


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait(port: int, up: bool, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while _listening(port) != up:
        if time.monotonic() > deadline:
            raise RuntimeError(f"nats-server on {port} did not come {'up' if up else 'down'}")
        time.sleep(0.1)


def ensure_machine_server() -> str:
    if not _listening(4222):
        subprocess.run(
            [
                "start-stop-daemon", "--start", "--oknodo", "--background", "--exec", _SERVER,
                "--", "-a", "127.0.0.1", "-p", "4222", "-js", "-sd", "/var/lib/nats-server",
                "-l", "/var/log/nats-server.log",
            ],
            check=True,
        )  # fmt: skip
        _wait(4222, up=True)
    return NATS_URL


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateNats:
    """A nats-server of our own, with its own store directory, that a test may stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="rasd-nats-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> PrivateNats:
        self.proc = subprocess.Popen(
            [_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self.port, up=True)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None
        _wait(self.port, up=False)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=20)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def drop_stream(url: str, stream: str) -> None:
    """Removes a test's stream and its leases bucket from a server that outlives the test."""
    import asyncio

    import nats
    import nats.js.errors

    async def run() -> None:
        nc = await nats.connect(url)
        js = nc.jetstream()
        for name in (stream, f"KV_{stream}_leases"):
            try:
                await js.delete_stream(name)
            except nats.js.errors.NotFoundError:
                pass
        await nc.close()

    asyncio.run(run())
