"""A probe's connection is closed, socket and all, before the check returns: a TLS peer
that never answers the close cannot leave a transport for the garbage collector."""

from __future__ import annotations

import asyncio
import gc
import socket
import ssl
import threading
import warnings
from collections.abc import Iterator

import pytest

from probe.local_web import Certificates
from rasd.probe.checks.closing import hang_up


class _SilentTls:
    """Accepts TLS connections on 127.0.0.1, shakes hands, then neither reads nor closes."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> _SilentTls:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while True:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return  # closed by stop()
            try:
                self._held.append(self._context.wrap_socket(raw, server_side=True))
            except (OSError, ssl.SSLError):
                raw.close()

    def stop(self) -> None:
        self._listener.close()
        self._thread.join(5)
        for held in self._held:
            held.close()


@pytest.fixture
def silent_tls(certificates: Certificates) -> Iterator[_SilentTls]:
    server = _SilentTls(certificates.valid_context()).start()
    yield server
    server.stop()


def _unclosed_after(closing: str, port: int, ca_file: str) -> list[warnings.WarningMessage]:
    async def connect_and_close() -> None:
        context = ssl.create_default_context(cafile=ca_file)
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
        if closing == "hang_up":
            await hang_up(writer)
        else:
            writer.close()  # only starts the close: the TLS goodbye waits for the peer

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(connect_and_close())
        gc.collect()
    return [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_connection_hung_up_leaves_nothing_open(
    silent_tls: _SilentTls, certificates: Certificates
) -> None:
    assert _unclosed_after("hang_up", silent_tls.port, certificates.ca_file) == []


def test_closing_alone_would_leave_the_transport_to_the_collector(
    silent_tls: _SilentTls, certificates: Certificates
) -> None:
    # the reason for hang_up: without it the same connection is found unclosed
    unclosed = _unclosed_after("close", silent_tls.port, certificates.ca_file)
    assert any("unclosed transport" in str(w.message) for w in unclosed)
