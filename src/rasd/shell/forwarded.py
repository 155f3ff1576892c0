"""The client's address named by a trusted proxy, read as uvicorn reads it, for less.

uvicorn checks every address in X-Forwarded-For against its trusted hosts, parsing each as an
IP address; behind one proxy the header holds one address, which is the client whether it is
trusted or not, so with every request from a new address that check was a cache miss and a
parse a request for an answer known beforehand. Several addresses take uvicorn's own way.
"""

from __future__ import annotations

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware, _parse_host_port, _TrustedHosts


class _Hosts(_TrustedHosts):
    def get_trusted_client_address(self, x_forwarded_for: str) -> tuple[str, int]:
        if "," not in x_forwarded_for:
            return _parse_host_port(x_forwarded_for.strip())
        return super().get_trusted_client_address(x_forwarded_for)


def forwarded(app: object, trusted_hosts: list[str] | str) -> ProxyHeadersMiddleware:
    """uvicorn's proxy headers middleware over `app`, trusting what uvicorn would."""
    middleware = ProxyHeadersMiddleware(app, trusted_hosts)  # type: ignore[arg-type]
    middleware.trusted_hosts = _Hosts(trusted_hosts)
    return middleware
