"""Causes that last: cause hints held with hysteresis, and the causes an event keeps.

The hints are read afresh every minute and their counts move (a vantage point more or less,
a resolver stumbling). People need the story, not the flicker: a hint is believed once it
has held for `hold` minutes running and let go once it has been absent for `release`
minutes, and an event keeps every cause it was given, with when it was first and last seen,
after it has ended too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from rasd.clock import minute_start
from rasd.correlate.event import CauseHintLike
from rasd.locale import N_, NC_, PUBLISHED, Words, listing, words

CauseState = Literal["holding", "ended"]

# what each kind of hint is about, in the sentence that sums an event's causes up
_TOPIC = {
    "routing": NC_("cause", "routing"),
    "dns_owner": NC_("cause", "DNS"),
    "application": NC_("cause", "the application"),
    "regional_network": NC_("cause", "the network"),
    "shared_provider": NC_("cause", "a shared provider"),
}
# TRANSLATORS: what failed, and whose: "routing and DNS at Meta"
_AT = N_("{topics} at {at}")
# TRANSLATORS: the causes at one place, and what each one is: "DNS at Meta: SERVFAIL from ..."
_SUMMED = N_("{head}: {summaries}")
# TRANSLATORS: joins what each cause is: "AS32934 withdrew ...; SERVFAIL from 5 of 5 ..."
_NEXT_SUMMARY = NC_("causes", "{items}; {item}")
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


def cause_text(causes: Sequence[Cause]) -> dict[str, str] | None:
    """One sentence for an event's causes, holding ones first: "Routing and DNS at Meta: AS32934
    withdrew the prefixes of its name servers; SERVFAIL from 5 of 5 vantage points"."""
    if not causes:
        return None
    holding = [c for c in causes if c.state == "holding"]
    chosen = holding or list(causes)
    rank = {code: n for n, code in enumerate(_ORDER)}
    chosen.sort(key=lambda c: (rank.get(c.code, len(rank)), c.first_seen, c.key))
    out: dict[str, str] = {}
    for lang in PUBLISHED:
        _ = words(lang)
        groups: dict[str, list[Cause]] = {}
        for cause in chosen:
            groups.setdefault(_named(cause, "at", lang), []).append(cause)
        parts = []
        for at, members in groups.items():
            topics = list(dict.fromkeys(_topic(c.code, _) for c in members))
            head = _(_AT, topics=listing(_, topics), at=at)
            head = head[:1].upper() + head[1:]
            summaries = [s for s in (_named(c, "summary", lang) for c in members) if s]
            if summaries:
                joined = summaries[0]
                for summary in summaries[1:]:
                    joined = _(_NEXT_SUMMARY, items=joined, item=summary)
                head = _(_SUMMED, head=head, summaries=joined)
            parts.append(head)
        out[lang] = " — ".join(parts)
    return out


def cause_label(hint: CauseHintLike, lang: str) -> str:
    """A few words for a hint: "DNS at Meta"."""
    cause = Cause(hint, 0, 0, "holding")
    at = _named(cause, "at", lang)
    _ = words(lang)
    topic = _topic(hint.code, _)
    if not at:
        return topic
    return _(_AT, topics=topic, at=at)


def _topic(code: str, _: Words) -> str:
    topic = _TOPIC.get(code)
    return _(topic) if topic is not None else code


def _named(cause: Cause, field: str, lang: str) -> str:
    data: Mapping[str, Any] = cause.shown.to_dict()
    value = data.get(field) or {}
    if not isinstance(value, Mapping):
        return ""
    return str(value.get(lang) or value.get("en") or "")
