"""The cluster's log: NATS JetStream, one stream, one subject per kind and shard.

API processes publish; workers consume. Subjects are `<prefix>.<kind>.<shard>` (`prefix` is the
stream's name in lower case): reports and probe results go to the shard of their service, a
batch of posts to the shard of its message id, and minute marks to every shard. Each message
carries a `Nats-Msg-Id`, so a resubmission within the duplicate window is dropped by JetStream;
past the window the store's `applied` table drops it all the same.

The stream keeps messages until a worker acknowledges them (work-queue retention) and refuses
new ones when full (discard new): a full log is an answer, 503 with Retry-After, never a loss.
Full is counted in messages, not bytes: nats-server checks a byte limit against the payload but
keeps the subject and headers too, and when the two disagree it quietly drops the oldest
message instead of refusing the new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    KeyValueConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.kv import KeyValue

from rasd.bus import codec
from rasd.errors import RasdError, Unavailable

_log = logging.getLogger("rasd.bus.nats")

MSG_ID = "Nats-Msg-Id"
# a batch request's body is at most 16 MiB of JSON; its columns are far smaller
_MAX_MSG_SIZE = 32 * 1024 * 1024
_UNAVAILABLE = (
    nats.errors.Error,
    nats.js.errors.Error,
    TimeoutError,
    ConnectionError,
    OSError,
)


@dataclass(frozen=True)
class StreamLimits:
    """How the stream is made; `replicas` is 3 on a three-node NATS cluster."""

    shards: int = 16
    replicas: int = 1
    max_msgs: int = 200_000
    duplicate_window_s: float = 120.0


class JetStreamLog:
    """The Log of the cluster. Connects on first use, inside the event loop that uses it."""

    def __init__(
        self,
        url: str,
        stream: str,
        limits: StreamLimits | None = None,
        *,
        timeout: float = 5.0,
        name: str = "rasd",
    ) -> None:
        self.url = url
        self.stream = stream
        self.limits = limits or StreamLimits()
        if self.limits.shards < 1:
            raise ValueError("a stream has at least one shard")
        self.prefix = stream.lower()
        self.timeout = timeout
        self.name = name
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._lock: asyncio.Lock | None = None

    @classmethod
    def from_settings(cls, settings: Any, *, name: str = "rasd") -> JetStreamLog:
        """The cluster's log as rasd.toml describes it (a rasd.settings.Settings)."""
        return cls(
            settings.nats_url,
            settings.stream,
            StreamLimits(
                shards=settings.shards,
                replicas=settings.stream_replicas,
                max_msgs=settings.stream_max_messages,
                duplicate_window_s=settings.duplicate_window_seconds,
            ),
            timeout=settings.publish_timeout_seconds,
            name=name,
        )

    # -- names ---------------------------------------------------------------------------------
    @property
    def shards(self) -> int:
        return self.limits.shards

    def subject(self, kind: str, shard: int) -> str:
        return f"{self.prefix}.{kind}.{shard}"

    def consumer_name(self, shard: int) -> str:
        return f"{self.stream}_shard_{shard}"

    @property
    def bucket(self) -> str:
        """The key-value bucket that holds leases and the cluster's shape."""
        return f"{self.stream}_leases"

    # -- connection ----------------------------------------------------------------------------
    async def jetstream(self) -> JetStreamContext:
        """The JetStream context, connecting and making the stream on first use."""
        if self._js is not None and self._nc is not None and not self._nc.is_closed:
            return self._js
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._js is not None and self._nc is not None and not self._nc.is_closed:
                return self._js
            try:
                nc = await asyncio.wait_for(self._connect(), self.timeout)
            except _UNAVAILABLE as exc:
                raise Unavailable("the log cannot be reached; try again", retry_after=2) from exc
            try:
                js = nc.jetstream(timeout=self.timeout)
                await self._ensure_stream(js)
            except BaseException as exc:
                # a connection we will not keep must not linger
                with contextlib.suppress(*_UNAVAILABLE):
                    await nc.close()
                if isinstance(exc, _UNAVAILABLE):
                    raise Unavailable(
                        "the log cannot be reached; try again", retry_after=2
                    ) from exc
                raise
            self._nc, self._js = nc, js
            return js

    async def _connect(self) -> Client:
        async def quiet(exc: Exception) -> None:
            # reconnections are routine; publishes that fail meanwhile answer 503 themselves
            _log.debug("nats: %s", exc)

        return await nats.connect(
            servers=[u.strip() for u in self.url.split(",") if u.strip()],
            name=self.name,
            connect_timeout=min(self.timeout, 2.0),
            reconnect_time_wait=0.25,
            max_reconnect_attempts=-1,
            error_cb=quiet,
        )

    async def _ensure_stream(self, js: JetStreamContext) -> None:
        shape = f"rasd log; shards={self.shards}"
        config = StreamConfig(
            name=self.stream,
            description=shape,
            subjects=[f"{self.prefix}.>"],
            retention=RetentionPolicy.WORK_QUEUE,
            discard=DiscardPolicy.NEW,
            max_msgs=self.limits.max_msgs,
            max_msg_size=_MAX_MSG_SIZE,
            storage=StorageType.FILE,
            num_replicas=self.limits.replicas,
            duplicate_window=self.limits.duplicate_window_s,
        )
        try:
            info = await js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            try:
                await js.add_stream(config)
            except nats.js.errors.BadRequestError:
                # another process made it between our look and our add
                await js.stream_info(self.stream)
        else:
            if info.config.description != shape:
                # the same service on two shards would have two owners and count twice
                raise RasdError(
                    f"stream {self.stream} was made as {info.config.description!r}, this process "
                    f"has shards={self.shards}: every process of a cluster needs the same shards"
                )
            await js.update_stream(config)

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            # close, not drain: every publish was confirmed already, and draining pull
            # subscriptions waits out its whole timeout
            with contextlib.suppress(*_UNAVAILABLE):
                await nc.close()

    # -- publishing ----------------------------------------------------------------------------
    async def publish(self, kind: str, payload: Any, msg_id: str) -> None:
        parts = codec.split(kind, payload, self.shards, msg_id)
        if not parts:
            return
        single = len(parts) == 1
        await self._publish_all(
            [
                (
                    self.subject(kind, shard),
                    codec.encode(kind, part),
                    msg_id if single else f"{msg_id}/{shard}",
                )
                for shard, part in parts.items()
            ]
        )

    async def mark(self, minute: int) -> None:
        """Tells every shard that the minute is over: what was published before is in it."""
        data = codec.encode(codec.MARK, minute)
        await self._publish_all(
            [
                (self.subject(codec.MARK, shard), data, f"mark:{minute}:{shard}")
                for shard in range(self.shards)
            ]
        )

    async def _publish_all(self, messages: list[tuple[str, bytes, str]]) -> None:
        js = await self.jetstream()

        async def one(subject: str, data: bytes, msg_id: str) -> None:
            ack = await js.publish(subject, data, timeout=self.timeout, headers={MSG_ID: msg_id})
            if ack.stream != self.stream:
                raise nats.js.errors.Error(f"{subject} is stored by stream {ack.stream}")

        results = await asyncio.gather(
            *(one(*message) for message in messages), return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if not failures:
            return
        first = failures[0]
        if not isinstance(first, _UNAVAILABLE):
            raise first
        full = isinstance(first, nats.js.errors.APIError) and first.err_code in (10077, 10047)
        reason = "the log is full" if full else "the log did not confirm the write"
        # parts already stored are dropped as duplicates when the client sends the batch again
        raise Unavailable(f"{reason}; try again", retry_after=5 if full else 2) from first

    # -- consuming -----------------------------------------------------------------------------
    async def restart_consumer(
        self, shard: int, *, ack_wait_s: float = 30.0, max_ack_pending: int = 20_000
    ) -> JetStreamContext.PullSubscription:
        """A fresh durable consumer of one shard that starts at its oldest unacknowledged message.

        In a work-queue stream the messages left are exactly those not yet acknowledged, so a
        new owner of the shard gets them all again, in order, at once, instead of waiting for
        the old owner's acknowledgement deadlines to lapse.
        """
        js = await self.jetstream()
        name = self.consumer_name(shard)
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_consumer(self.stream, name)
        await js.add_consumer(
            self.stream,
            ConsumerConfig(
                durable_name=name,
                filter_subject=f"{self.prefix}.*.{shard}",
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=ack_wait_s,
                max_ack_pending=max_ack_pending,
                max_deliver=-1,
            ),
        )
        return await js.pull_subscribe_bind(name, stream=self.stream)

    async def key_value(self, ttl_s: float) -> KeyValue:
        js = await self.jetstream()
        try:
            return await js.key_value(self.bucket)
        except nats.js.errors.BucketNotFoundError:
            return await js.create_key_value(
                KeyValueConfig(
                    bucket=self.bucket,
                    history=1,
                    ttl=ttl_s,
                    storage=StorageType.FILE,
                    replicas=self.limits.replicas,
                )
            )

    async def pending(self) -> int:
        """Messages not yet acknowledged: the backlog of the whole cluster."""
        js = await self.jetstream()
        info = await js.stream_info(self.stream)
        return int(info.state.messages)


def kind_of(subject: str) -> str:
    """`rasd.reports.3` -> `reports`."""
    parts = subject.split(".")
    if len(parts) < 3:
        raise codec.CodecError(f"subject {subject!r} has no kind")
    return parts[-2]
