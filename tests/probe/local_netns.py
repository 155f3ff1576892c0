"""Network namespaces a test makes for itself: vantage points with links that can be cut.

The layout, in one private /24 that no route of the machine touches (chosen per run):

    this process (root namespace)          "internet" namespace (wan)
      veth .1/25 ──┐                         bridge `hub`: .130 (the service), .131 (canaries)
                   │ "office" namespace (lan)   │  │  │
                   └─ bridge ─┬──┬──┬           │  │  │
                              │  │  │           │  │  │
              vantage 1..n:  lan .11.. ─── wan .141..

Each vantage has two links: `lan` reaches the Rasd server (which listens on .1 in the root
namespace), `wan` reaches the service and the canaries. Cutting `wan` leaves a vantage that can
still tell the server what it sees. Nothing routes out of the /24: the namespaces have no
default route, so no packet can leave for any other address.

Servers run in this process: `inside(name, make)` builds them on a thread that has entered the
namespace, so their sockets live there, and they are served from ordinary threads after.
Everything made is removed by `close()`, and namespaces left by a test process that died are
removed by the next one (their names carry its process id).
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import json
import os
import random
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_PREFIX = "rasdt"
_NETNS_DIR = Path("/run/netns")
_CLONE_NEWNET = 0x40000000


def ip(*args: str, namespace: str | None = None) -> str:
    command = ["ip", *(["-n", namespace] if namespace else []), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {done.stderr.strip()}")
    return done.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers() -> None:
    """Namespaces of earlier test processes that are gone (killed before they cleaned up)."""
    for line in ip("netns", "list").splitlines():
        name = line.split()[0] if line.strip() else ""
        pid_text = name.removeprefix(_PREFIX).split("-", 1)[0]
        if name.startswith(_PREFIX) and pid_text.isdigit() and not _alive(int(pid_text)):
            with contextlib.suppress(RuntimeError):
                ip("netns", "delete", name)


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 10.0.0.0/8 that no address or route of this machine overlaps."""
    taken = []
    for entry in json.loads(ip("-j", "-4", "route", "show", "table", "all") or "[]"):
        dst = entry.get("dst", "")
        if dst and dst != "default":
            with contextlib.suppress(ValueError):
                taken.append(ipaddress.ip_network(dst if "/" in dst else f"{dst}/32", False))
    for entry in json.loads(ip("-j", "-4", "addr") or "[]"):
        for info in entry.get("addr_info", []):
            taken.append(ipaddress.ip_network(f"{info['local']}/{info['prefixlen']}", False))
    rng = random.Random()
    for _ in range(200):
        subnet = ipaddress.IPv4Network(f"10.{rng.randrange(64, 250)}.{rng.randrange(1, 255)}.0/24")
        if not any(subnet.overlaps(other) for other in taken):
            return subnet
    raise RuntimeError("no free private /24 for the test's namespaces")


@dataclass
class Vantage:
    name: str
    namespace: str
    lan: str  # its address towards the server
    wan: str  # its address towards the service

    def cut(self) -> None:
        ip("link", "set", "wan", "down", namespace=self.namespace)

    def mend(self) -> None:
        ip("link", "set", "wan", "up", namespace=self.namespace)


@dataclass
class Network:
    vantage_names: tuple[str, ...]
    token: str = field(default_factory=lambda: f"{random.randrange(16**4):04x}")
    made: list[str] = field(default_factory=list)
    vantages: list[Vantage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.subnet = _free_subnet()
        hosts = list(self.subnet)
        self.server = str(hosts[1])  # the root namespace's end of the office link
        self.service = str(hosts[130])
        self.canary = str(hosts[131])
        self.host_link = f"rvt{self.token}{os.getpid() % 1000:03d}"[:15]
        self._hosts = hosts

    def _name(self, role: str) -> str:
        return f"{_PREFIX}{os.getpid()}-{self.token}-{role}"

    def _namespace(self, role: str) -> str:
        name = self._name(role)
        ip("netns", "add", name)
        self.made.append(name)
        ip("link", "set", "lo", "up", namespace=name)
        return name

    def build(self) -> Network:
        lan, wan = self._namespace("lan"), self._namespace("wan")
        for hub in (lan, wan):
            ip("link", "add", "name", "hub", "type", "bridge", namespace=hub)
            ip("link", "set", "hub", "up", namespace=hub)
        half = f"/{self.subnet.prefixlen + 1}"
        # this process's way into the office: the server listens on its end
        ip("link", "add", "name", self.host_link, "type", "veth",
           "peer", "name", "srv", "netns", lan)  # fmt: skip
        ip("link", "set", "srv", "master", "hub", "up", namespace=lan)
        ip("addr", "add", self.server + half, "dev", self.host_link)
        ip("link", "set", self.host_link, "up")
        for address in (self.service, self.canary):
            ip("addr", "add", address + half, "dev", "hub", namespace=wan)
        for i, vantage in enumerate(self.vantage_names, start=1):
            ns = self._namespace(f"v{i}")
            addresses = {"lan": str(self._hosts[10 + i]), "wan": str(self._hosts[140 + i])}
            for link, hub in (("lan", lan), ("wan", wan)):
                port = f"v{i}"
                ip("link", "add", "name", link, "type", "veth", "peer", "name", port, "netns", hub,
                   namespace=ns)  # fmt: skip
                ip("link", "set", port, "master", "hub", "up", namespace=hub)
                ip("addr", "add", addresses[link] + half, "dev", link, namespace=ns)
                ip("link", "set", link, "up", namespace=ns)
            self.vantages.append(Vantage(vantage, ns, addresses["lan"], addresses["wan"]))
        return self

    @property
    def wan(self) -> str:
        return self._name("wan")

    def inside(self, namespace: str, make: Callable[[], T]) -> T:
        """`make()` run on a thread that entered `namespace`: the sockets it opens live there."""
        box: dict[str, T | BaseException] = {}

        def _run() -> None:
            try:
                with open(_NETNS_DIR / namespace) as handle:
                    libc = ctypes.CDLL(None, use_errno=True)
                    if libc.setns(handle.fileno(), _CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), "setns failed")
                box["value"] = make()
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        thread = threading.Thread(target=_run)
        thread.start()
        thread.join()
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box["value"]  # type: ignore[return-value]

    def close(self) -> None:
        # deleting a namespace deletes the veths in it, and so their ends elsewhere
        for name in reversed(self.made):
            with contextlib.suppress(RuntimeError):
                ip("netns", "delete", name)
        with contextlib.suppress(RuntimeError):
            ip("link", "delete", self.host_link)
        self.made.clear()


@contextlib.contextmanager
def network(vantage_names: tuple[str, ...]) -> Iterator[Network]:
    remove_leftovers()
    net = Network(vantage_names)
    try:
        yield net.build()
    finally:
        net.close()
