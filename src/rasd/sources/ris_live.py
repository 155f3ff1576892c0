"""RIPE RIS Live: BGP updates of the owners' prefixes, as the route collectors' peers see them.

One WebSocket; one `ris_subscribe` per catalog prefix (with its more specific prefixes), never
by origin AS: a withdrawal carries no AS path, so a subscription by path would never see a
prefix vanish. Each UPDATE becomes one `RouteUpdate` per prefix it announces or withdraws,
tied to the catalog prefix it falls under and that prefix's owner, and the updates go to the
log (`routes`) in small batches, where counting and the route state take them.

RIS Live has no cursor: what was missed while away is gone. The time of the last message
read is kept as the source's cursor anyway, so its status says how long the gap was. Malformed
messages and frames cut short are counted and skipped; a connection that drops, goes silent
or is refused is opened again with backoff. An application `ping` every `ping_seconds` keeps
the feed's own idle timeout away; `ris_error` (for instance a client too slow to keep up) is
shown, and the server closes after it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect

from rasd.bus.base import new_message_id
from rasd.errors import RasdError
from rasd.probe.agent import tls_context
from rasd.probe.reach import Reach, is_network_away
from rasd.signals.routes import RouteUpdate, watched_prefixes
from rasd.sources.backoff import Backoff
from rasd.sources.base import SourceStatus
from rasd.sources.cursors import Cursors

if TYPE_CHECKING:
    from rasd.runtime import Runtime

NAME = "ris_live"
_log = logging.getLogger("rasd.sources.ris_live")
# an UPDATE of a few prefixes is well under a kilobyte; a frame this large is not one of ours
_MAX_FRAME = 1 << 20
_BATCH = 500


class _Announcement(msgspec.Struct):
    prefixes: list[str] = []
    next_hop: str | None = None


class _Update(msgspec.Struct):
    """The fields of `ris_message` data that matter here (schema ris_message-UPDATE)."""

    timestamp: float
    peer: str
    host: str
    type: str = "UPDATE"
    peer_asn: str | int | None = None
    path: list[int | list[int]] = []
    announcements: list[_Announcement] = []
    withdrawals: list[str] = []


class _Envelope(msgspec.Struct):
    type: str
    data: msgspec.Raw = msgspec.Raw(b"null")


class _Error(msgspec.Struct):
    message: str = ""


_envelope = msgspec.json.Decoder(_Envelope)
_update = msgspec.json.Decoder(_Update)
_error = msgspec.json.Decoder(_Error)
_encode = msgspec.json.Encoder().encode


def subscribe_message(prefix: str) -> bytes:
    """One subscription: UPDATEs of `prefix` and the prefixes inside it, acknowledged."""
    return _encode(
        {
            "type": "ris_subscribe",
            "data": {
                "type": "UPDATE",
                "prefix": prefix,
                "moreSpecific": True,
                "lessSpecific": False,
                "socketOptions": {"acknowledge": True, "includeRaw": False},
            },
        }
    )


class PrefixMatcher:
    """Which catalog prefix (and owner) a prefix from the feed falls under: the longest that
    covers it. Answers are kept, since the same prefixes come back all day."""

    def __init__(self, watched: Mapping[str, Sequence[str]]) -> None:
        networks = [
            (ipaddress.ip_network(prefix), prefix, owner)
            for owner, prefixes in watched.items()
            for prefix in prefixes
        ]
        networks.sort(key=lambda n: -n[0].prefixlen)
        self._networks = networks
        self._known: dict[str, tuple[str, str] | None] = {}

    def match(self, prefix: str) -> tuple[str, str] | None:
        """(catalog prefix, owner), or None for a prefix outside every catalog prefix."""
        if prefix in self._known:
            return self._known[prefix]
        found: tuple[str, str] | None = None
        try:
            network = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            network = None
        if network is not None:
            for candidate, text, owner in self._networks:
                if candidate.version == network.version and network.subnet_of(candidate):  # type: ignore[arg-type]
                    found = (text, owner)
                    break
        if len(self._known) > 100_000:
            self._known.clear()  # prefixes from a feed gone wrong must not fill memory
        self._known[prefix] = found
        return found


class Decoder:
    """Frames of RIS Live to route updates, with tallies of what it saw."""

    def __init__(self, matcher: PrefixMatcher) -> None:
        self.matcher = matcher
        self.messages = 0
        self.malformed = 0
        self.errors: list[str] = []
        self.pongs = 0
        self.acknowledged = 0
        self.last_timestamp: float | None = None

    def decode(self, frame: str | bytes) -> list[RouteUpdate]:
        self.messages += 1
        try:
            envelope = _envelope.decode(frame)
            if envelope.type == "ris_message":
                return self._updates(_update.decode(envelope.data))
            if envelope.type == "ris_error":
                self.errors.append(_error.decode(envelope.data).message or "(no message)")
            elif envelope.type == "pong":
                self.pongs += 1
            elif envelope.type == "ris_subscribe_ok":
                self.acknowledged += 1
        except (msgspec.DecodeError, msgspec.ValidationError):
            self.malformed += 1
        return []

    def _updates(self, message: _Update) -> list[RouteUpdate]:
        if message.type != "UPDATE":
            return []
        self.last_timestamp = message.timestamp
        ts = datetime.fromtimestamp(message.timestamp, UTC)
        origin = _origin(message.path)
        out: list[RouteUpdate] = []
        match = self.matcher.match
        for announcement in message.announcements:
            for prefix in announcement.prefixes:
                found = match(prefix)
                if found is not None:
                    out.append(RouteUpdate(ts, message.host, message.peer, prefix, found[0],
                                           found[1], True, origin))  # fmt: skip
        for prefix in message.withdrawals:
            found = match(prefix)
            if found is not None:
                out.append(RouteUpdate(ts, message.host, message.peer, prefix, found[0],
                                       found[1], False, None))  # fmt: skip
        return out


def _origin(path: Sequence[int | list[int]]) -> int | None:
    if not path:
        return None
    last = path[-1]
    if isinstance(last, list):  # an AS_SET at the end: any of it may be the origin
        return last[0] if last else None
    return last


class _LiveStatus(SourceStatus):
    """A status that shows, when read, what the route state says of each owner now."""

    routes: Any = None  # the RouteState counting feeds, when this process has one

    def snapshot(self) -> dict[str, Any]:
        state = self.routes
        if state is not None and state.newest is not None:
            owners = {}
            for owner, ev in state.all_evidence(state.newest).items():
                owners[owner] = {"share": ev.share, "usual_peers": ev.usual_peers,
                                 "unseen_peers": ev.unseen_peers, "lost": ev.lost,
                                 "withdrawals_per_minute": ev.withdrawals}  # fmt: skip
            self.note(owners=owners)
        return super().snapshot()


class RisLiveSource:
    name = NAME
    kind = "routes"

    def __init__(
        self,
        runtime: Runtime,
        url: str,
        watched: Mapping[str, Sequence[str]],
        *,
        client: str = "rasd",
        ping_seconds: float = 30.0,
        silence_seconds: float = 120.0,
        flush_seconds: float = 0.5,
        backoff: Backoff | None = None,
        reach: Reach | None = None,
    ) -> None:
        self._runtime = runtime
        joiner = "&" if "?" in url else "?"
        self.url = f"{url}{joiner}client={client}" if client else url
        self.prefixes = sorted({p for prefixes in watched.values() for p in prefixes})
        self.decoder = Decoder(PrefixMatcher(watched))
        self.ping_seconds = ping_seconds
        self.silence_seconds = silence_seconds
        self.flush_seconds = flush_seconds
        self._backoff = backoff or Backoff(base=1.0, cap=120.0)
        self._reach = reach or runtime.reach
        self._status = _LiveStatus(self.name, self.kind, endpoint=url, clock=runtime.clock)
        self._status.routes = runtime.route_state
        self._cursors = Cursors(runtime.store)
        self._pending: list[RouteUpdate] = []
        self._connections = 0
        self._errors_shown = 0

    def status(self) -> SourceStatus:
        return self._status

    async def run(self, stop: asyncio.Event) -> None:
        if not self._reach.allows(self.url):
            self._status.offline("offline: RIS Live is reached only when it is on loopback")
            await stop.wait()
            return
        last = self._cursors.get(self.name)
        if last is not None:
            self._status.cursor(last.decode())
        while not stop.is_set():
            self._status.connecting(self.url)
            try:
                await self._session(stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_network_away(exc):
                    self._status.offline(f"RIS Live unreachable: {type(exc).__name__}")
                else:
                    self._status.failed(f"{type(exc).__name__}: {exc}")
            finally:
                await self._flush()
                self._show()
            if stop.is_set() or not await self._backoff.wait(stop):
                return

    async def _session(self, stop: asyncio.Event) -> None:
        async with connect(
            self.url,
            ssl=_tls(self.url),
            max_size=_MAX_FRAME,
            open_timeout=15,
            close_timeout=2,
            ping_interval=None,
        ) as ws:
            self._connections += 1
            if self._connections > 1:
                self._status.reconnected()
            gap = self._gap()
            if gap is not None:
                self._status.note(gap_seconds=gap)
            for prefix in self.prefixes:
                await ws.send(subscribe_message(prefix).decode())
            self._status.connected(self.url)
            await self._read(ws, stop)

    def _gap(self) -> float | None:
        """Seconds since the last message read before this connection: nothing fills them."""
        last = self.decoder.last_timestamp
        if last is None:
            return None
        return round(max(0.0, self._runtime.clock.seconds() - last), 1)

    async def _read(self, ws: ClientConnection, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.ensure_future(stop.wait())
        receiving: asyncio.Future[Any] = asyncio.ensure_future(ws.recv())
        heard = loop.time()
        next_ping = heard + self.ping_seconds
        next_flush = heard + self.flush_seconds
        try:
            while True:
                now = loop.time()
                wait = max(0.0, min(next_ping, next_flush, heard + self.silence_seconds) - now)
                done, _ = await asyncio.wait(
                    {receiving, stopping}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                if stopping in done:
                    return
                now = loop.time()
                if receiving in done:
                    frame = receiving.result()  # a dropped connection raises here
                    receiving = asyncio.ensure_future(ws.recv())
                    heard = now
                    self._take(frame)
                    if self._backoff.failures and self.decoder.messages > len(self.prefixes):
                        self._backoff.reset()  # the feed flows again: the next drop starts over
                if now - heard >= self.silence_seconds:
                    raise TimeoutError(f"RIS Live silent for {self.silence_seconds:.0f} s")
                if now >= next_ping:
                    await ws.send('{"type":"ping"}')
                    next_ping = now + self.ping_seconds
                if now >= next_flush or len(self._pending) >= _BATCH:
                    await self._flush()
                    next_flush = now + self.flush_seconds
        finally:
            for task in (stopping, receiving):
                task.cancel()
            await asyncio.gather(stopping, receiving, return_exceptions=True)

    def _take(self, frame: str | bytes) -> None:
        self._status.seen(1)
        before = self.decoder.malformed
        updates = self.decoder.decode(frame)
        if self.decoder.malformed > before:
            self._status.noted(f"a malformed message was skipped: {bytes(frame[:80])!r}"
                               if isinstance(frame, bytes) else
                               f"a malformed message was skipped: {frame[:80]!r}")  # fmt: skip
        if len(self.decoder.errors) > self._errors_shown:
            self._errors_shown = len(self.decoder.errors)
            self._status.noted(f"RIS Live: {self.decoder.errors[-1]}")
        if updates:
            self._status.matched(len(updates))
            self._pending.extend(updates)

    async def _flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        try:
            await self._runtime.log.publish("routes", batch, new_message_id())
        except RasdError as exc:
            # the log is away: hold the updates for the next flush rather than lose them
            self._pending = batch + self._pending
            self._status.noted(f"publish: {exc.message}")
            return
        self._status.counted(len(batch))
        last = self.decoder.last_timestamp
        if last is not None:
            self._status.lag(self._runtime.clock.seconds() - last)
            self._status.cursor(f"{last:.3f}")
            self._cursors.put(self.name, f"{last:.3f}".encode())

    def _show(self) -> None:
        d = self.decoder
        self._status.note(
            subscriptions=len(self.prefixes),
            acknowledged=d.acknowledged,
            messages=d.messages,
            malformed=d.malformed,
            ris_errors=len(d.errors),
            pongs=d.pongs,
        )


def build(runtime: Runtime) -> list[Any]:
    settings = runtime.settings
    if not settings.ris_live_enabled or settings.cluster:
        # a cluster's log does not carry routes yet: the embedded server reads them
        return []
    watched = {
        owner: [prefix for prefix, _ in pairs]
        for owner, pairs in watched_prefixes(runtime.catalog).items()
    }
    if not watched:
        return []
    return [
        RisLiveSource(
            runtime,
            settings.ris_live_url,
            watched,
            client=settings.ris_live_client,
            ping_seconds=settings.ris_live_ping_seconds,
            silence_seconds=settings.ris_live_silence_seconds,
        )
    ]


def _tls(url: str) -> ssl.SSLContext | None:
    """The shared client context for a secure URL (not made again at each reconnection)."""
    return tls_context(None) if url.startswith("wss:") else None
