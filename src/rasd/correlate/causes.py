"""Causes that last: cause hints held with hysteresis, and the causes an event keeps.

The hints are read afresh every minute and their counts move (a vantage point more or less,
a resolver stumbling). People need the story, not the flicker: a hint is believed once it
has held for `hold` minutes running and let go once it has been absent for `release`
minutes, and an event keeps every cause it was given, with when it was first and last seen,
after it has ended too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from rasd.clock import minute_start
from rasd.correlate.event import CauseHintLike
from rasd.phrase import Arg, Phrase

CauseState = Literal["holding", "ended"]

# in that sentence, routing comes before DNS: a name server that cannot be reached cannot answer
_ORDER = ("routing", "dns_owner", "shared_provider", "application", "regional_network")


def confidence(hint: CauseHintLike) -> float:
    value = hint.to_dict().get("confidence")
    return float(value) if isinstance(value, int | float) else 0.0


def hint_key(hint: CauseHintLike) -> str:
    key = getattr(hint, "key", None)
    return key if isinstance(key, str) else hint.code


@dataclass(frozen=True, slots=True)
class Cause:
    """A cause an event keeps: the hint as last seen and at its strongest, when it was first
    and last seen, and whether it still holds. An ended cause shows itself at its strongest:
    the last minutes of a cause that goes are those of the mending, not of the trouble."""

    hint: CauseHintLike
    first_seen: int  # epoch minutes
    last_seen: int
    state: CauseState
    strongest: CauseHintLike | None = None

    def seen_again(self, hint: CauseHintLike, minute: int) -> Cause:
        best = self.strongest or self.hint
        # on a tie the earlier stays: the mending minutes of a cause can be as sure as its worst
        if confidence(hint) > confidence(best):
            best = hint
        return Cause(hint, self.first_seen, minute, "holding", best)

    def ended(self) -> Cause:
        return Cause(self.hint, self.first_seen, self.last_seen, "ended", self.strongest)

    @property
    def shown(self) -> CauseHintLike:
        return (self.strongest or self.hint) if self.state == "ended" else self.hint

    @property
    def code(self) -> str:
        return self.hint.code

    @property
    def key(self) -> str:
        return hint_key(self.hint)

    @property
    def services(self) -> Sequence[str]:
        return self.hint.services

    @property
    def text(self) -> Arg:
        return self.shown.text

    @property
    def at(self) -> Arg:
        return self.shown.at

    @property
    def summary(self) -> Arg:
        return self.shown.summary

    @property
    def first_seen_at(self) -> datetime:
        return minute_start(self.first_seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            **dict(self.shown.to_dict()),
            "first_seen": minute_start(self.first_seen).isoformat(),
            "last_seen": minute_start(self.last_seen).isoformat(),
            "state": self.state,
        }


@dataclass(slots=True)
class _Track:
    hint: CauseHintLike
    first_seen: int
    last_seen: int
    shown: bool = False


class HintBook:
    """Every hint seen lately, each believed after `hold` minutes running and let go after
    `release` minutes absent. Fed once a minute with that minute's hints."""

    def __init__(self, hold: int, release: int) -> None:
        if hold < 1 or release < 1:
            raise ValueError("hint hold and release are at least one minute")
        self.hold = hold
        self.release = release
        self._tracks: dict[str, _Track] = {}

    def update(self, m: int, hints: Sequence[CauseHintLike]) -> list[str]:
        """Takes this minute's hints; returns the keys of believed hints let go this minute."""
        for hint in hints:
            key = hint_key(hint)
            track = self._tracks.get(key)
            if track is None or (not track.shown and track.last_seen < m - 1):
                # a hint not yet believed must hold without a break
                track = self._tracks[key] = _Track(hint, m, m)
            track.hint, track.last_seen = hint, m
            if not track.shown and m - track.first_seen + 1 >= self.hold:
                track.shown = True
        gone: list[str] = []
        for key, track in list(self._tracks.items()):
            if track.last_seen == m:
                continue
            if not track.shown:
                del self._tracks[key]
            elif m - track.last_seen >= self.release:
                gone.append(key)
                del self._tracks[key]
        return sorted(gone)

    def believed(self) -> list[tuple[str, CauseHintLike, int, int]]:
        """(key, latest hint, first seen, last seen) of every hint believed now, by key."""
        return [
            (key, t.hint, t.first_seen, t.last_seen)
            for key, t in sorted(self._tracks.items())
            if t.shown
        ]


def cause_text(causes: Sequence[Cause]) -> Phrase | None:
    """An event's causes for one sentence (`causes`), holding ones first, routing before DNS:
    "Routing and DNS at Meta: AS32934 withdrew the prefixes of its name servers; SERVFAIL
    from 5 of 5 vantage points". Each cause says what it is about, whose trouble it is and
    its evidence in a few words, as last seen (at its strongest once ended)."""
    if not causes:
        return None
    holding = [c for c in causes if c.state == "holding"]
    chosen = holding or list(causes)
    rank = {code: n for n, code in enumerate(_ORDER)}
    chosen.sort(key=lambda c: (rank.get(c.code, len(rank)), c.first_seen, c.key))
    return Phrase("causes", {"causes": tuple(_one(c) for c in chosen)})


def _one(cause: Cause) -> Phrase:
    shown = cause.shown
    return Phrase("cause", {"code": cause.code, "at": shown.at, "summary": shown.summary})


def cause_label(hint: CauseHintLike) -> Phrase:
    """A few words for a hint: "DNS at Meta"."""
    return Phrase("cause.label", {"code": hint.code, "at": hint.at})
