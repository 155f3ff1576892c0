"""A report that was acknowledged survives kill -9 of the server process."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from rasd.signals.reports import decode_batch, key_hash
from rasd.store.counts import RawBatch

_BATCHES = "SELECT first_ms, last_ms, n, counted, data FROM report_batches"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RASD_STORE_URL": f"sqlite:///{db}",
        "RASD_PORT": str(port),
        "RASD_REQUESTS_PER_SECOND": "100000",
        "RASD_REQUEST_BURST": "100000",
    }
    log = db.parent / f"server-{port}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rasd.cli", "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


@pytest.mark.slow
@pytest.mark.parametrize("keyed", [True, False], ids=["idempotency-keys", "new-ids"])
def test_acknowledged_reports_survive_kill_9(tmp_path: Path, keyed: bool) -> None:
    """With keys the ids are stored and checked; without, the server makes ids it need not
    store (and counts on its event loop), so each acknowledged reporter is looked for among the
    stored reports."""
    db = tmp_path / "rasd.db"
    port = _free_port()
    proc = _start(db, port)
    acknowledged: list[str] = []
    stop = threading.Event()

    def send(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            i = 0
            while not stop.is_set():
                key = f"w{worker}-{i}"
                report = {
                    "service": "whatsapp",
                    "problem": "messages",
                    "reporter": key,
                    "country": "EG",
                }
                headers = {"Idempotency-Key": key} if keyed else {}
                try:
                    response = client.post("/api/v1/reports", json=report, headers=headers)
                except httpx.HTTPError:
                    return
                if response.status_code == 202:
                    acknowledged.append(key)
                i += 1

    threads = [threading.Thread(target=send, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    while len(acknowledged) < 300:
        time.sleep(0.05)
        assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join()
    assert len(acknowledged) >= 300

    with sqlite3.connect(db) as conn:
        applied = {row[0] for row in conn.execute("SELECT msg_id FROM applied")}
        batches = [RawBatch(*row) for row in conn.execute(_BATCHES)]
    reporters = {r for batch in batches for r in decode_batch(batch)[0].reporter.tolist()}
    if keyed:
        assert [k for k in acknowledged if f"reports:k:{k}" not in applied] == []
    assert [k for k in acknowledged if key_hash(k) not in reporters] == []
    assert sum(batch.n for batch in batches) >= len(acknowledged)

    # and the server comes back with them
    proc = _start(db, port)
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/api/v1/services/whatsapp", timeout=5).json()
        assert body["id"] == "whatsapp"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_a_stopped_server_keeps_its_detection_state_for_the_next(tmp_path: Path) -> None:
    db = tmp_path / "rasd.db"
    for run in range(2):
        port = _free_port()
        proc = _start(db, port)
        report = {"service": "whatsapp", "problem": "app", "reporter": f"r{run}", "country": "EG"}
        assert httpx.post(f"http://127.0.0.1:{port}/api/v1/reports", json=report).status_code == 202
        time.sleep(1.5)  # the first tick runs at start; let it end
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        with sqlite3.connect(db) as conn:
            saved = conn.execute("SELECT value FROM state WHERE key = 'engine:embedded'").fetchone()
        assert saved is not None and len(saved[0]) > 0
    log = "".join(p.read_text() for p in tmp_path.glob("server-*.log"))
    assert "could not be read" not in log and "Traceback" not in log
