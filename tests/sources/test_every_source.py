"""Checks every live source must pass, over the registry (`rasd.sources.registry`), as a
fresh `rasd serve` builds them from the defaults: a feed added there is checked here too.

- The network away (a namespace with nothing but loopback), online as in real use: every
  source says `offline`, with a reason and no error, and nothing is logged at warning or above.
- The `offline` setting with a route out (a namespace whose veth leads to another namespace):
  every source says `offline` or `disabled` and not one packet leaves.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rasd.sources.registry import _BUILDERS

_SCRIPT = Path(__file__).with_name("network_away.py")
_SRC = Path(__file__).resolve().parents[2] / "src"
_SECONDS = 90  # each source says where it stands within its first reads: a bound, not a time

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip"), reason="network namespaces need root and ip"
)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextmanager
def _namespace(route_out: bool) -> Iterator[str]:
    """A network namespace with loopback up and, with `route_out`, a default route over a veth
    whose other end sits in a second namespace that answers nothing."""
    name = f"rasd-src-{os.getpid()}"
    far = f"{name}-far"
    _ip("netns", "add", name)
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        if route_out:
            _ip("netns", "add", far)
            # veth names are at most 15 bytes
            _ip("link", "add", "rsrc-in", "netns", name, "type", "veth", "peer", "rsrc-out",
                "netns", far)  # fmt: skip
            # no IPv6 on the link: its own announcements would count as packets sent
            _exec(name, "sysctl", "-qw", "net.ipv6.conf.rsrc-in.disable_ipv6=1")
            _ip("-n", name, "addr", "add", "198.18.0.2/24", "dev", "rsrc-in")
            _ip("-n", name, "link", "set", "rsrc-in", "up")
            _ip("-n", far, "link", "set", "rsrc-out", "up")
            _ip("-n", name, "route", "add", "default", "via", "198.18.0.1")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        if route_out:
            subprocess.run(["ip", "netns", "del", far], capture_output=True)


def _exec(namespace: str, *command: str) -> str:
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, *command],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(_SRC)},
        timeout=_SECONDS + 120,
    )
    return done.stdout


def _sent(namespace: str) -> int:
    return int(_exec(namespace, "cat", "/sys/class/net/rsrc-in/statistics/tx_packets"))


def _run(namespace: str, tmp_path: Path, mode: str) -> dict[str, Any]:
    out = _exec(namespace, sys.executable, str(_SCRIPT), str(tmp_path), str(_SECONDS), mode)
    ran: dict[str, Any] = json.loads(out)
    # every feed of the registry is built by default (Mastodon once a server is named)
    assert set(ran["built"]) == set(_BUILDERS)
    assert all(ran["built"][path] for path in _BUILDERS), ran["built"]
    names = {name for names in ran["built"].values() for name in names}
    assert {s["name"] for s in ran["statuses"]} == names
    return ran


def test_with_the_network_away_every_source_says_offline_quietly(tmp_path: Path) -> None:
    with _namespace(route_out=False) as namespace:
        ran = _run(namespace, tmp_path, "online")
    for status in ran["statuses"]:
        assert status["state"] == "offline", status
        reason = status["detail"].get("offline_reason")
        assert reason, status
        assert status["last_error"] is None, status
    assert ran["logged"] == []


def test_offline_no_source_sends_a_packet(tmp_path: Path) -> None:
    with _namespace(route_out=True) as namespace:
        before = _sent(namespace)
        ran = _run(namespace, tmp_path, "offline")
        after = _sent(namespace)
    for status in ran["statuses"]:
        assert status["state"] in ("offline", "disabled"), status
    assert after == before
