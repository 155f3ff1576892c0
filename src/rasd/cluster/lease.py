"""Leases in a JetStream key-value bucket: who owns a shard, who runs detection.

A lease is a key whose value names its holder. Taking it is a create (which fails when someone
holds it); keeping it is an update that names the revision we last wrote (which fails when
someone else took it meanwhile). The bucket's TTL drops a key nobody renews, so a dead holder's
leases free themselves. A holder counts a lease as its own only for most of the TTL after its
last renewal: it stops before anyone else can start.
"""

from __future__ import annotations

import logging
import time

import nats.errors
import nats.js.errors
from nats.js.kv import KeyValue

_log = logging.getLogger("rasd.cluster.lease")

# of the TTL, how much a holder trusts: the rest is slack for the expiry timer and slow renewals
_TRUST = 0.7
# failures that leave us unsure whether a write took: NATS away, restarting, or slow
UNSURE = (nats.errors.Error, nats.js.errors.Error, TimeoutError, OSError)


class Leases:
    def __init__(self, kv: KeyValue, holder: str, ttl_s: float) -> None:
        self.kv = kv
        self.holder = holder
        self.ttl_s = ttl_s
        self._revision: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def held(self, name: str) -> bool:
        """Ours, with time to spare; checked before every step that needs ownership."""
        return time.monotonic() < self._until.get(name, 0.0)

    def names(self) -> list[str]:
        return sorted(n for n in self._revision if self.held(n))

    async def hold(self, name: str) -> bool:
        """Takes the lease or renews it; False when someone else holds it."""
        started = time.monotonic()
        revision = self._revision.get(name)
        value = self.holder.encode()
        try:
            if revision is None:
                revision = await self.kv.create(name, value)
            else:
                revision = await self.kv.update(name, value, last=revision)
        except nats.js.errors.KeyWrongLastSequenceError:
            self._forget(name)
            return False
        except UNSURE as exc:
            # we cannot tell: the lease stays ours only as long as we trusted it anyway
            _log.warning("lease %s not renewed: %s", name, exc)
            return self.held(name)
        self._revision[name] = revision
        self._until[name] = started + self.ttl_s * _TRUST
        return True

    async def release(self, name: str) -> None:
        revision = self._revision.get(name)
        self._forget(name)
        if revision is None:
            return
        try:
            await self.kv.delete(name, last=revision)
        except (nats.js.errors.KeyWrongLastSequenceError, *UNSURE) as exc:
            _log.info("lease %s not released (%s); it expires by itself", name, exc)

    async def others(self, prefix: str) -> list[str]:
        """Keys under `prefix` that are alive now (ours included)."""
        try:
            keys = await self.kv.keys()
        except nats.js.errors.NoKeysError:
            return []
        return sorted(k for k in keys if k.startswith(prefix))

    def _forget(self, name: str) -> None:
        self._revision.pop(name, None)
        self._until.pop(name, None)
