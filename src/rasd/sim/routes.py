"""Simulated BGP: the route collectors' peers announcing and withdrawing the owners' prefixes.

At the first minute every peer announces every catalog prefix that is up (RIS Live sends no
table, but a replay has no ten minutes to wait for one); after that a few routine
re-announcements a minute, and while an event's route failure holds, its owner's prefixes
(those of its name servers, or all) are withdrawn by its share of peers over a few minutes,
then announced again, most of them around the peak.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np

from rasd.clock import minute_start
from rasd.signals.routes import RouteUpdate, watched_prefixes
from rasd.sim.keys import salt
from rasd.sim.scenario import RouteFailure, Routes

# private AS numbers for the simulated peers (RFC 6996): they stand for no real network
_PEER_ASN = 64512


class RouteMaker:
    def __init__(self, catalog: Any, settings: Routes, first_minute: int, seed: int) -> None:
        self.first_minute = first_minute
        self.noise = settings.noise_per_minute
        self.peers = [
            (collector, f"198.51.100.{c * settings.peers_per_collector + i + 1}")
            for c, collector in enumerate(settings.collectors)
            for i in range(settings.peers_per_collector)
        ]
        self.watched = watched_prefixes(catalog)
        self._origin = {
            o.id: (o.asns[0] if o.asns else None) for o in getattr(catalog, "owners", {}).values()
        }
        self.pairs = [
            (owner, prefix, peer)
            for owner, prefixes in sorted(self.watched.items())
            for prefix, _ in prefixes
            for peer in range(len(self.peers))
        ]
        self._seed = seed
        # pair index -> [(second, announced)] of the failures, in time order
        self._changes: dict[int, list[tuple[float, bool]]] = defaultdict(list)
        # minute -> [(second, pair, announced)]
        self._by_minute: dict[int, list[tuple[float, int, bool]]] = defaultdict(list)

    def add_failure(self, event_id: str, owner: str, failure: RouteFailure) -> None:
        prefixes = self.watched.get(owner, [])
        chosen = {p for p, ns in prefixes if ns or failure.prefixes == "all"}
        rng = np.random.Generator(np.random.PCG64(salt("routes", event_id, self._seed)))
        n_peers = len(self.peers)
        hit = set(rng.permutation(n_peers)[: max(1, round(failure.peer_share * n_peers))].tolist())
        start = failure.withdraw.timestamp()
        span = failure.withdraw_minutes * 60.0
        a = failure.announce.timestamp()
        b = failure.announce_end.timestamp()
        peak = (failure.announce_peak or failure.announce).timestamp()
        for index, (o, prefix, peer) in enumerate(self.pairs):
            if o != owner or prefix not in chosen or peer not in hit:
                continue
            # the withdrawals crowd the first minute, as the collectors saw them
            gone = start + span * float(rng.random()) ** 1.6
            back = float(rng.triangular(a, peak, b)) if b > a else a
            for second, announced in ((gone, False), (back, True)):
                self._changes[index].append((second, announced))
                self._by_minute[int(second // 60)].append((second, index, announced))

    def _up_at(self, index: int, second: float) -> bool:
        up = True
        for at, announced in self._changes.get(index, []):
            if at > second:
                break
            up = announced
        return up

    def make(self, rng: np.random.Generator, minute: int) -> list[RouteUpdate]:
        if not self.pairs:
            return []
        start = minute * 60.0
        found: list[tuple[float, int, bool]] = list(self._by_minute.get(minute, []))
        if minute == self.first_minute:
            offsets = rng.random(len(self.pairs)) * 60.0
            found += [
                (start + float(offsets[i]), i, True)
                for i in range(len(self.pairs))
                if self._up_at(i, start)
            ]
        n = int(rng.poisson(self.noise)) if self.noise > 0 else 0
        for i, at in zip(rng.integers(0, len(self.pairs), size=n).tolist(),
                         (rng.random(n) * 60.0).tolist(), strict=True):  # fmt: skip
            if self._up_at(i, start + at):
                found.append((start + at, i, True))
        found.sort()
        base = minute_start(minute)
        out = []
        for second, index, announced in found:
            owner, prefix, peer = self.pairs[index]
            collector, address = self.peers[peer]
            out.append(
                RouteUpdate(
                    ts=base + timedelta(seconds=second - start),
                    collector=collector,
                    peer=address,
                    prefix=prefix,
                    covers=prefix,
                    owner=owner,
                    announced=announced,
                    origin=self._origin.get(owner) if announced else None,
                )
            )
        return out


def owner_of(catalog: Any, services: Sequence[str]) -> str | None:
    """The one owner of an event's services, if they have one."""
    owners = {catalog.services[s].owner for s in services if s in getattr(catalog, "services", {})}
    return next(iter(owners)) if len(owners) == 1 else None
