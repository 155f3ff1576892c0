"""Real HTTP and HTTPS servers on 127.0.0.1 for the probe tests, switchable between healthy,
5xx, slow and wrong text; plus certificates: a test CA (trustme) and an expired leaf made with
`cryptography`."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HEALTHY = "healthy"
ERROR_5XX = "5xx"
SLOW = "slow"
WRONG_TEXT = "wrong_text"

GOOD_TEXT = "Welcome to Example"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    mode = HEALTHY
    slow_s = 3.0
    hits = 0

    def handle_error(self, request: object, client_address: object) -> None:
        # clients that reject our certificate hang up mid-handshake; that is the point
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        self.server.hits += 1
        mode = self.server.mode
        if mode == SLOW:
            time.sleep(self.server.slow_s)
        if mode == ERROR_5XX:
            self._reply(503, "Service Unavailable")
        elif mode == WRONG_TEXT:
            self._reply(200, "Parked domain: buy this name")
        elif self.path.startswith("/missing"):
            self._reply(404, "Not Found")
        else:
            self._reply(200, f"<html><body>{GOOD_TEXT}</body></html>")

    def _reply(self, status: int, body: str) -> None:
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the prober gave up waiting (slow mode)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class LocalWeb:
    """One HTTP or HTTPS server in a thread; `mode` switches how it answers."""

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self._server = _Server((host, 0), _Handler)
        self._tls = tls
        if tls is not None:
            # the handshake happens in the handler thread, so a bad client cannot stall accept
            self._server.socket = tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://{self.host}:{self.port}/"

    @property
    def mode(self) -> str:
        return self._server.mode

    @mode.setter
    def mode(self, value: str) -> None:
        self._server.mode = value

    @property
    def hits(self) -> int:
        return self._server.hits

    def set_slow(self, seconds: float) -> None:
        self._server.slow_s = seconds

    def start(self) -> LocalWeb:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class Certificates:
    """A test CA, a valid leaf for 127.0.0.1, an expired one, and one from a CA nobody trusts."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self._dir = tempfile.TemporaryDirectory()
        self.ca_file = str(Path(self._dir.name) / "ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_file)

    def valid_context(self, *hosts: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert(*(hosts or ("127.0.0.1", "localhost"))).configure_cert(context)
        return context

    def untrusted_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
        return context

    def expired_context(self, days_ago: int = 3) -> ssl.SSLContext:
        """A leaf for 127.0.0.1 signed by the trusted CA that stopped being valid `days_ago`."""
        ca_key = serialization.load_pem_private_key(self.ca.private_key_pem.bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(self.ca.cert_pem.bytes())
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=90))
            .not_valid_after(now - dt.timedelta(days=days_ago))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        folder = Path(self._dir.name)
        cert_path, key_path = folder / "expired.pem", folder / "expired.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context

    def close(self) -> None:
        self._dir.cleanup()
