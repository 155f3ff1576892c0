"""A connection's writes of one turn of the loop reach the socket as one send, in order, and
nothing written before a close is lost."""

from __future__ import annotations

import asyncio
from typing import Any

from rasd.api.writes import GatheredWrites


class _Transport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.sent.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 1) if name == "peername" else None


async def test_a_head_and_its_body_go_out_as_one_send() -> None:
    transport = _Transport()
    writes = GatheredWrites(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.write(b"HTTP/1.1 200 OK\r\n\r\n")
    writes.write(b"")
    writes.write(b"body")
    assert transport.sent == [] and writes.get_write_buffer_size() == 23
    await asyncio.sleep(0)
    assert transport.sent == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    writes.write(b"next")
    await asyncio.sleep(0)
    assert transport.sent[-1] == b"next"
    assert writes.get_extra_info("peername") == ("127.0.0.1", 1)  # the rest is the transport's


async def test_what_was_written_before_a_close_is_sent() -> None:
    transport = _Transport()
    writes = GatheredWrites(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    writes.close()
    assert transport.sent == [b"HTTP/1.1 400 Bad Request\r\n\r\n"] and transport.closed
    await asyncio.sleep(0)  # the turn's flush finds nothing left
    assert len(transport.sent) == 1
