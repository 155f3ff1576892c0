"""Routes: what BGP collectors say about the owners' prefixes, and how it becomes evidence.

A route source (RIPE RIS Live) hands over one `RouteUpdate` per prefix announced or withdrawn
by one peer of one collector, already tied to the catalog prefix it falls under and that
prefix's owner. Counting puts withdrawals and announcements per minute into each of the
owner's services' series (`routes_withdrawals`, `routes_announcements`); the `RouteState`
keeps, per (collector, peer, prefix), whether the peer sees the prefix, minute by minute,
and says per owner what share of the peers that usually see its prefixes (above all those
of its name servers) still do.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from rasd.clock import minute_of
from rasd.series import ROUTES_ANNOUNCEMENTS, ROUTES_WITHDRAWALS, WORLD, SeriesKey


class RouteUpdate(msgspec.Struct, frozen=True):
    """One prefix announced (`announced`) or withdrawn by one peer of one collector."""

    ts: datetime
    collector: str
    peer: str
    prefix: str  # as the collector gave it: the catalog prefix or one inside it
    covers: str  # the catalog prefix it falls under
    owner: str
    announced: bool
    origin: int | None = None  # the last AS of the path (announcements only)


@dataclass(frozen=True)
class PrefixSeen:
    prefix: str
    nameserver: bool
    seen: int  # peers that see it (or a prefix inside it) now
    usual: int  # peers that saw it lately

    def to_dict(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "nameserver": self.nameserver, "seen": self.seen,
                "usual": self.usual}  # fmt: skip


@dataclass(frozen=True)
class RouteEvidence:
    """What the collectors say about one owner at the end of one minute.

    `share` is, over the owner's watched prefixes (its name servers' when it has them), the
    peers seeing them against the peers that usually do; `lost` says the share has been
    below `RouteState.lost_share` for `RouteState.hold_minutes` minutes running, with enough
    usual peers to go by; `below_since` is the first minute of that run.
    """

    owner: str
    minute: int
    prefixes: list[PrefixSeen]
    share: float | None
    usual_peers: int
    unseen_peers: int
    withdrawals: int  # this minute, of all the owner's prefixes
    announcements: int
    lost: bool
    below: bool
    below_since: int | None
    withdrawn: list[str] = field(default_factory=list)  # prefixes most peers no longer see
    origins: list[int] = field(default_factory=list)

    @property
    def nameservers(self) -> list[PrefixSeen]:
        return [p for p in self.prefixes if p.nameserver]

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "minute": self.minute,
            "prefixes": [p.to_dict() for p in self.prefixes],
            "share": self.share,
            "usual_peers": self.usual_peers,
            "unseen_peers": self.unseen_peers,
            "withdrawals": self.withdrawals,
            "announcements": self.announcements,
            "lost": self.lost,
            "below_since": self.below_since,
            "withdrawn": self.withdrawn,
            "origins": self.origins,
        }


class RouteCounter:
    """Withdrawals and announcements per minute into the series of the owner's services."""

    def __init__(self, services_of: Mapping[str, Sequence[str]], state: RouteState | None = None):
        self._services_of = services_of
        self.state = state

    def count(self, updates: Iterable[RouteUpdate]) -> dict[tuple[SeriesKey, int], int]:
        updates = list(updates)
        if self.state is not None:
            self.state.feed(updates)
        tally: dict[tuple[str, bool, int], int] = defaultdict(int)
        for u in updates:
            tally[(u.owner, u.announced, minute_of(u.ts))] += 1
        counts: dict[tuple[SeriesKey, int], int] = defaultdict(int)
        for (owner, announced, minute), n in tally.items():
            signal = ROUTES_ANNOUNCEMENTS if announced else ROUTES_WITHDRAWALS
            for service in self._services_of.get(owner, ()):
                counts[(SeriesKey(service, signal, WORLD), minute)] += n
        return dict(counts)


_Key = tuple[str, str, str]  # collector, peer, prefix as given


class RouteState:
    """Per (collector, peer, prefix), whether the peer sees the prefix, minute by minute.

    Changes are kept by minute so the state can be read as it was at the end of any recent
    minute: a replay feeds a few minutes ahead of the detection tick. A peer is among the
    usual ones of a catalog prefix once it has announced it (or a prefix inside it) within
    `usual_minutes`; RIS Live sends no table at start, so the usual peers grow as
    announcements come in and no alarm is raised about peers never heard from.
    """

    def __init__(
        self,
        watched: Mapping[str, Sequence[tuple[str, bool]]],
        *,
        lost_share: float = 0.5,
        hold_minutes: int = 2,
        min_peers: int = 3,
        usual_minutes: int = 7 * 1440,
        keep_minutes: int = 30,
    ) -> None:
        """`watched` maps each owner to its (catalog prefix, holds name servers) pairs."""
        if not 0 < lost_share <= 1 or hold_minutes < 1 or min_peers < 1:
            raise ValueError("lost_share in (0, 1], hold_minutes and min_peers at least 1")
        self.watched = {owner: list(pairs) for owner, pairs in watched.items() if pairs}
        self.lost_share = lost_share
        self.hold_minutes = hold_minutes
        self.min_peers = min_peers
        self.usual_minutes = usual_minutes
        self.keep_minutes = keep_minutes
        # owner -> covering prefix -> key -> [(minute, visible)], oldest first
        self._changes: dict[str, dict[str, dict[_Key, list[tuple[int, bool]]]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        # owner -> covering prefix -> (collector, peer) -> [first, last] minute it announced
        # there: a reading of an earlier minute than the newest fed must still find the peer
        # usual, though it has announced again since
        self._announced: dict[str, dict[str, dict[tuple[str, str], list[int]]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        # owner -> minute -> (withdrawals, announcements)
        self._per_minute: dict[str, dict[int, list[int]]] = defaultdict(dict)
        # owner -> AS -> the first minute it was seen as origin
        self._origins: dict[str, dict[int, int]] = defaultdict(dict)
        self._runs: dict[str, tuple[int, int]] = {}  # owner -> (minute read, below since)
        self.newest: int | None = None
        self._read: int | None = None  # the latest minute read: forgetting keeps its past
        # fed by counting, read by the detection tick: two threads
        self._lock = threading.RLock()

    def owners(self) -> list[str]:
        return sorted(self.watched)

    def feed(self, updates: Iterable[RouteUpdate]) -> None:
        with self._lock:
            self._feed(updates)

    def _feed(self, updates: Iterable[RouteUpdate]) -> None:
        for u in updates:
            m = minute_of(u.ts)
            if u.owner not in self.watched:
                continue
            changes = self._changes[u.owner][u.covers].setdefault(
                (u.collector, u.peer, u.prefix), []
            )
            if changes and changes[-1][0] == m:
                changes[-1] = (m, u.announced)  # the minute's last word
            elif not changes or changes[-1][1] != u.announced or changes[-1][0] > m:
                changes.append((m, u.announced))
                if len(changes) > 1 and changes[-2][0] > m:
                    changes.sort(key=lambda c: c[0])  # an update late by a minute or two
            tally = self._per_minute[u.owner].setdefault(m, [0, 0])
            tally[1 if u.announced else 0] += 1
            if u.announced:
                heard = self._announced[u.owner][u.covers]
                peer = (u.collector, u.peer)
                span = heard.get(peer)
                if span is None:
                    heard[peer] = [m, m]
                else:
                    span[0] = min(span[0], m)
                    span[1] = max(span[1], m)
                if u.origin is not None:
                    origins = self._origins[u.owner]
                    origins[u.origin] = min(m, origins.get(u.origin, m))
            if self.newest is None or m > self.newest:
                self.newest = m
                self._forget(m)

    def _forget(self, now: int) -> None:
        """Changes older than `keep_minutes` fold into one; counts and peers long unheard go.

        The horizon is counted from the latest minute read when that lags behind the newest
        fed (a replay feeds a few minutes ahead of its tick), so that a reading goes back over
        the same changes however far ahead the feeding ran; never further back than a second
        `keep_minutes`, so that a reader gone quiet cannot hold everything."""
        read = now if self._read is None else max(min(now, self._read), now - self.keep_minutes)
        horizon = read - self.keep_minutes
        for by_prefix in self._changes.values():
            for keys in by_prefix.values():
                for changes in keys.values():
                    old = [c for c in changes if c[0] <= horizon]
                    if len(old) > 1:
                        del changes[: len(old) - 1]
        for tallies in self._per_minute.values():
            for minute in [m for m in tallies if m <= horizon]:
                del tallies[minute]
        usual_horizon = now - self.usual_minutes
        for by_prefix_heard in self._announced.values():
            for heard in by_prefix_heard.values():
                for peer in [p for p, (_, last) in heard.items() if last < usual_horizon]:
                    del heard[peer]

    def _seen_at(self, owner: str, prefix: str, minute: int) -> tuple[int, int]:
        """(peers seeing `prefix` at the end of `minute`, usual peers of it)."""
        usual = {p for p, (first, _) in self._announced[owner][prefix].items() if first <= minute}
        seeing: set[tuple[str, str]] = set()
        for (collector, peer, _), changes in self._changes[owner][prefix].items():
            if (collector, peer) in seeing:
                continue
            state = None
            for m, visible in changes:
                if m > minute:
                    break
                state = visible
            if state:
                seeing.add((collector, peer))
        return len(seeing & usual) if usual else len(seeing), len(usual)

    def _share(self, owner: str, minute: int) -> tuple[list[PrefixSeen], float | None, int, int]:
        prefixes = [
            PrefixSeen(prefix, ns, *self._seen_at(owner, prefix, minute))
            for prefix, ns in self.watched.get(owner, [])
        ]
        chosen = [p for p in prefixes if p.nameserver and p.usual] or [
            p for p in prefixes if p.usual
        ]
        usual = sum(p.usual for p in chosen)
        seen = sum(min(p.seen, p.usual) for p in chosen)
        share = seen / usual if usual else None
        peers = max((p.usual for p in chosen), default=0)
        unseen = max((p.usual - min(p.seen, p.usual) for p in chosen), default=0)
        return prefixes, share, peers, unseen

    def evidence(self, owner: str, minute: int) -> RouteEvidence:
        with self._lock:
            return self._evidence(owner, minute)

    def _evidence(self, owner: str, minute: int) -> RouteEvidence:
        if self._read is None or minute > self._read:
            self._read = minute
        prefixes, share, peers, unseen = self._share(owner, minute)
        below = self._is_below(share, peers)
        since: int | None = None
        run = self._runs.pop(owner, None)
        if below:
            since = minute
            if run is not None and run[0] == minute - 1:
                since = run[1]  # read a minute ago, below already: the run goes on
            else:
                # how long it has been below: back minute by minute, as far as changes are kept
                for back in range(1, self.keep_minutes):
                    _, earlier, earlier_peers, _ = self._share(owner, minute - back)
                    if not self._is_below(earlier, earlier_peers):
                        break
                    since = minute - back
            self._runs[owner] = (minute, since)
        lost = since is not None and minute - since + 1 >= self.hold_minutes
        tally = self._per_minute.get(owner, {}).get(minute, [0, 0])
        withdrawn = [p.prefix for p in prefixes if p.usual and p.seen * 2 < p.usual]
        origins = sorted(a for a, m in self._origins.get(owner, {}).items() if m <= minute)
        return RouteEvidence(
            owner=owner,
            minute=minute,
            prefixes=prefixes,
            share=None if share is None else round(share, 4),
            usual_peers=peers,
            unseen_peers=unseen,
            withdrawals=tally[0],
            announcements=tally[1],
            lost=lost,
            below=below,
            below_since=since,
            withdrawn=withdrawn,
            origins=origins,
        )

    def _is_below(self, share: float | None, peers: int) -> bool:
        return share is not None and peers >= self.min_peers and share < self.lost_share

    def all_evidence(self, minute: int) -> dict[str, RouteEvidence]:
        return {owner: self.evidence(owner, minute) for owner in self.owners()}


def watched_prefixes(catalog: Any) -> dict[str, list[tuple[str, bool]]]:
    """Each owner's catalog prefixes, with whether they hold its name servers."""
    out: dict[str, list[tuple[str, bool]]] = {}
    for owner in getattr(catalog, "owners", {}).values():
        nameservers = set(owner.nameserver_prefixes)
        pairs = [(p, p in nameservers) for p in owner.prefixes]
        if pairs:
            out[owner.id] = pairs
    return out


def services_of_owners(catalog: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for service in catalog:
        out[service.owner].append(service.id)
    return dict(out)
