"""PostgreSQL for tests: the machine's server, one throw-away database per use."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


def ensure_server() -> None:
    """Starts the machine's cluster when it is down; tests need a real one."""
    try:
        psycopg.connect(ADMIN).close()
        return
    except psycopg.OperationalError:
        pass
    for version in sorted(p.name for p in Path("/etc/postgresql").iterdir()):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            check=False,
            capture_output=True,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(ADMIN).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@contextmanager
def database(admin: str = ADMIN) -> Iterator[str]:
    """A fresh database's URL, dropped afterwards whatever still holds it open."""
    if admin == ADMIN:
        ensure_server()
    name = f"rasd_test_{uuid.uuid4().hex[:12]}"
    params = dict(part.split("=", 1) for part in admin.split())
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{params['user']}@{params['host']}:{params['port']}/{name}"
    finally:
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.OperationalError:
            pass  # a private server that a test stopped takes its databases with it
