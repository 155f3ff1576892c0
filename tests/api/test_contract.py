"""The API contract, as a new user tries it: `schemathesis run URL/openapi.json --checks all`
against a real `rasd serve` on 127.0.0.1 (offline, a fresh SQLite file), every phase
(examples, coverage, fuzzing, stateful), on a fixed seed and a few examples an operation.

Every check counts: no server error, every answer as documented (status, type, headers,
body), a request the document calls valid is taken and one it calls invalid refused, Allow
right on 405. The run fails on any failure, so a route that checks what its document does
not say (or says what it does not check) breaks the suite.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

_HOOKS = Path(__file__).with_name("contract_hooks.py")
_CONFIG = Path(__file__).with_name("schemathesis.toml")
_SOURCES = str(Path(__file__).resolve().parents[2] / "src")
_SEED = "21"
_EXAMPLES = "4"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([_SOURCES, os.environ.get("PYTHONPATH", "")]),
        "RASD_OFFLINE": "true",
        "RASD_STORE_URL": f"sqlite:///{tmp_path / 'rasd.db'}",
        "RASD_HOST": "127.0.0.1",
        "RASD_PORT": str(port),
        # the limits answer 429, which the document allows: raised so the routes are reached
        "RASD_REQUESTS_PER_SECOND": "100000",
        "RASD_REQUEST_BURST": "100000",
        "RASD_CHECK_NOW_PER_MINUTE": "100000",
        "RASD_SUBSCRIBE_PER_HOUR": "100000",
        "RASD_COMMENTS_PER_HOUR": "100000",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rasd.cli", "serve"],
            cwd=tmp_path,  # away from any rasd.toml of the working tree
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the server did not answer"
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1, trust_env=False).is_success:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.slow
def test_schemathesis_finds_no_failure_in_any_phase(server: str, tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(_CONFIG),
        "run",
        f"{server}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        _SEED,
        "--max-examples",
        _EXAMPLES,
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(_HOOKS), "NO_PROXY": "127.0.0.1"}
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    out = done.stdout + done.stderr
    summary = out[out.rfind("SUMMARY") :] if "SUMMARY" in out else out[-4000:]
    # every phase ran and passed, the stateful one (links between operations) included
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, out[-12000:]
    assert done.returncode == 0, out[-12000:]
