"""A Jetstream v1 `/subscribe` on 127.0.0.1: the message shapes of the real one, and its faults.

It keeps every message it was given with its `time_us` and serves a subscriber from its
cursor (less than the oldest kept: from the oldest, as Jetstream clamps; none: the live tail),
then waits for more. Faults are asked for per connection: cut a frame in half and drop the
TCP connection, or close after some messages; `restart()` drops everyone at once.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.asyncio.server import ServerConnection

from sources.standin import WebSocketStandIn

DID = "did:plc:q235v55g5unth4zjjdpacfdr"
T0_US = 1_633_348_800_000_000  # 2021-10-04 12:00 UTC


def create(time_us: int, rkey: str, text: str, did: str = DID, langs: Any = ("en",)) -> bytes:
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "createdAt": "2021-10-04T09:00:00.000Z",  # wrong on purpose: time_us decides
        "text": text,
    }
    if langs is not None:
        record["langs"] = list(langs)
    return orjson.dumps(
        {
            "did": did,
            "time_us": time_us,
            "kind": "commit",
            "commit": {
                "rev": "3mmoojpaqkn2z",
                "operation": "create",
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
                "record": record,
                "cid": "bafyreicl7rzkxdrm4zz2ehbx52kuk3mvfow6p3gzfys72r5grvskxoswy4",
            },
        }
    )


def delete(time_us: int, rkey: str, did: str = DID) -> bytes:
    return orjson.dumps(
        {
            "did": did,
            "time_us": time_us,
            "kind": "commit",
            "commit": {
                "rev": "3mmoojpae7c2e",
                "operation": "delete",
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
            },
        }
    )


def identity(time_us: int, did: str = DID) -> bytes:
    return orjson.dumps(
        {
            "did": did,
            "time_us": time_us,
            "kind": "identity",
            "identity": {"did": did, "seq": 30340180350, "time": "2021-10-04T12:00:00.000Z"},
        }
    )


def account(time_us: int, did: str = DID) -> bytes:
    return orjson.dumps(
        {
            "did": did,
            "time_us": time_us,
            "kind": "account",
            "account": {"active": True, "did": did, "seq": 30340180351, "time": "2021-10-04Z"},
        }
    )


class FakeJetstream:
    def __init__(self, compress: Any = None) -> None:
        self.messages: list[tuple[int, bytes]] = []
        self.oldest_kept_us = 0
        self.cursors: list[int | None] = []
        self.compressed: list[bool] = []
        # per connection, by number from 1: ("cut", n) or ("close", n) after n messages
        self.faults: dict[int, tuple[str, int]] = {}
        self.compress = compress  # a zstandard compressor, used when the client asks
        self.standin = WebSocketStandIn(self._serve)
        self._more = asyncio.Condition()

    @property
    def url(self) -> str:
        return f"{self.standin.url}/subscribe"

    async def add(self, *lines: bytes, time_us: int | None = None) -> None:
        async with self._more:
            for line in lines:
                when = time_us if time_us is not None else orjson.loads(line)["time_us"]
                self.messages.append((when, line))
            self._more.notify_all()

    async def add_raw(self, line: bytes) -> None:
        """A message that is not JSON: placed at the time of the one before it."""
        when = self.messages[-1][0] if self.messages else T0_US
        await self.add(line, time_us=when)

    def _start(self, cursor: int | None) -> int:
        if cursor is None:
            return len(self.messages)
        cursor = max(cursor, self.oldest_kept_us)
        for index, (when, _) in enumerate(self.messages):
            if when >= cursor and when >= self.oldest_kept_us:
                return index
        return len(self.messages)

    async def _serve(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        query = parse_qs(urlsplit(ws.request.path).query)
        assert query.get("wantedCollections") == ["app.bsky.feed.post"]
        cursor = int(query["cursor"][0]) if "cursor" in query else None
        zstd = query.get("compress") == ["true"]
        self.cursors.append(cursor)
        self.compressed.append(zstd)
        number = self.standin.connections
        index = self._start(cursor)
        fault = self.faults.get(number)
        closed = asyncio.ensure_future(ws.wait_closed())
        try:
            await self._send_from(ws, index, fault, zstd, closed)
        finally:
            closed.cancel()

    async def _more_after(self, index: int) -> None:
        async with self._more:
            await self._more.wait_for(lambda: index < len(self.messages))

    async def _send_from(
        self,
        ws: ServerConnection,
        index: int,
        fault: tuple[str, int] | None,
        zstd: bool,
        closed: asyncio.Future[None],
    ) -> None:
        sent = 0
        while True:
            more = asyncio.ensure_future(self._more_after(index))
            await asyncio.wait({more, closed}, return_when=asyncio.FIRST_COMPLETED)
            if closed.done():
                more.cancel()
                return
            batch = [line for _, line in self.messages[index:]]
            for line in batch:
                if fault is not None and sent >= fault[1]:
                    if fault[0] == "cut":
                        _cut_frame(ws, line)
                    else:
                        await ws.close()
                    return
                if zstd and self.compress is not None:
                    await ws.send(self.compress.compress(line))
                else:
                    await ws.send(line.decode())
                sent += 1
                index += 1


def _cut_frame(ws: ServerConnection, line: bytes) -> None:
    """Half of a text frame on the wire, then the TCP connection is gone."""
    header = bytes([0x81]) + (
        bytes([len(line)]) if len(line) < 126 else bytes([126]) + struct.pack("!H", len(line))
    )
    ws.transport.write(header + line[: len(line) // 2])
    ws.transport.abort()
