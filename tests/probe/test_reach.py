import socket

import httpx
import pytest

from rasd.probe.reach import Reach, is_network_away


@pytest.mark.parametrize(
    "url",
    [
        "ws://127.0.0.1:9000/subscribe",
        "http://127.5.6.7/x",
        "https://localhost:8443/",
        "http://[::1]:80/",
        "wss://feeds.localhost/",
        "127.0.0.1:53",
    ],
)
def test_offline_allows_loopback(url: str) -> None:
    assert Reach(offline=True).allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "wss://jetstream.example/subscribe",
        "https://10.0.0.1/",
        "http://192.168.1.1/",
        "https://127.0.0.1.example.org/",
        "http://localhost.example.org/",
        "8.8.8.8:53",
        "not a url",
    ],
)
def test_offline_refuses_everything_else(url: str) -> None:
    assert not Reach(offline=True).allows(url)


def test_online_allows_any_host() -> None:
    assert Reach(offline=False).allows("wss://jetstream.example/subscribe")


def test_network_away_is_told_from_a_broken_feed() -> None:
    assert is_network_away(socket.gaierror(-3, "Temporary failure in name resolution"))
    assert is_network_away(ConnectionRefusedError(111, "refused"))
    assert is_network_away(OSError(101, "Network is unreachable"))
    assert is_network_away(httpx.ConnectError("[Errno -3] Temporary failure"))
    wrapped = RuntimeError("open failed")
    wrapped.__cause__ = TimeoutError()
    assert is_network_away(wrapped)
    assert not is_network_away(ValueError("malformed frame"))
    assert not is_network_away(OSError(13, "Permission denied"))
