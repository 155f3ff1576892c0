"""Whether a source may contact an address, and whether a failure means "no network".

With the `offline` setting on, sources reach loopback addresses only: tests, CI and the
demo run every source against local stand-ins and never touch the internet.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})

# errors that say the network (or the name service) is away, not that the feed is broken
_AWAY_ERRNOS = frozenset(
    {
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
        errno.EADDRNOTAVAIL,
        errno.ECONNREFUSED,
        errno.ETIMEDOUT,
    }
)


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Reach:
    def __init__(self, offline: bool) -> None:
        self.offline = offline

    def allows(self, url: str) -> bool:
        """Offline, only loopback hosts; otherwise any host. `url` may also be a bare host."""
        if not self.offline:
            return True
        host = urlsplit(url).hostname if "://" in url else url.rsplit(":", 1)[0]
        return host is not None and is_loopback_host(host)


def is_network_away(exc: BaseException) -> bool:
    """True for failures a machine without a network gives: no name resolution, no route,
    nobody listening, a connect that times out. Such failures are reported as "offline",
    quietly, rather than as errors of the feed."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror | TimeoutError | ConnectionRefusedError):
            return True
        if isinstance(current, ssl.SSLError):
            return False
        if isinstance(current, OSError) and current.errno in _AWAY_ERRNOS:
            return True
        name = type(current).__name__
        if (
            name in {"ConnectError", "ConnectTimeout", "InvalidURI"}
            and "ssl" not in str(current).lower()
        ):
            return True
        current = current.__cause__ or current.__context__
    return False
