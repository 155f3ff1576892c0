"""Rules that turn the cues of a post into a label: complaint, question, recovery or other.

The rules, in the order they apply:
1. A news item, an advertisement, or a post that blames the user's own line is `other`;
   so is a post that says the service is not to blame ("it's not WhatsApp, it's my wifi").
2. A complaint cue right after a negation ("not down", "مش واقف") says the service works;
   one near a false friend ("stock is down", "the group is dead") says nothing.
3. A recovery cue right after a negation ("not back yet", "ما رجع") is a complaint.
4. Complaint and recovery together: the later one wins ("was down, now back" is a recovery,
   "came back but down again" a complaint). A recovery asked about ("is it back?") is a question.
5. A complaint asked ("?", "is it down", "anyone else", "عندكم") is a question; asking others
   is a question even without a complaint word ("bei euch auch?").
6. A working verb followed, later in its clause, by a negation is a complaint ("WhatsApp geht
   seit heute Morgen nicht").
7. Emoji decide only when no word did.

Clauses (split at "but", "لكن", full stops...) get labels of their own, so each service named
in "WhatsApp is back but Instagram is still down" gets its own.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Literal

from rasd.signals.text.lexicon import (
    AD,
    BLAME,
    COMPLAINT,
    FINE,
    NEGATION,
    NEWS,
    NOT_SERVICE,
    PAST,
    QUESTION_MARK,
    QUESTION_START,
    QUESTION_STRONG,
    RECOVERY,
    SEPARATOR,
    VERB,
    VETO,
    WEAK_COMPLAINT,
    WEAK_RECOVERY,
    Cue,
)
from rasd.signals.text.matcher import Mention

Label = Literal["complaint", "question", "recovery", "other"]
LABELS: tuple[Label, ...] = ("complaint", "question", "recovery", "other")
COMPLAINING: frozenset[str] = frozenset({"complaint", "question"})

_POST_VETO = NEWS | AD | BLAME
_NEGATION_GAP = 2  # a space, or a space and an apostrophe
_NOT_SERVICE_GAP = 4  # room for an article: "mesh el whatsapp", "مش الواتس"
_VETO_BEFORE = 25
_VETO_AFTER = 10
_CONTEXT_GAP = 12
_SPLIT_NEGATION = 40
_CONTEXT = COMPLAINT | RECOVERY | QUESTION_STRONG | WEAK_COMPLAINT | FINE
_LEADING = " \t\r\n\"'([{*-•…"


def near_cue(cues: Sequence[Cue], start: int, end: int) -> bool:
    """Strong context for an ambiguous alias: an outage cue within a few characters."""
    for cue in cues:
        if not cue.kinds & _CONTEXT:
            continue
        if 0 <= cue.start - end <= _CONTEXT_GAP or 0 <= start - cue.end <= _CONTEXT_GAP:
            return True
    return False


def label_post(
    text: str, cues: Sequence[Cue], mentions: Sequence[Mention]
) -> tuple[Label, list[Label]]:
    """The post's label and one label per mention, from cues in the normalised `text`."""
    if not cues:
        return "other", ["other"] * len(mentions)
    mask = 0
    for cue in cues:
        mask |= cue.kinds
    if mask & _POST_VETO or (
        mask & NOT_SERVICE and mentions and _service_blameless(cues, mentions)
    ):
        return "other", ["other"] * len(mentions)
    first = len(text) - len(text.lstrip(_LEADING)) if mask & QUESTION_START else 0
    label = _decide(cues, first, mask) or "other"
    if len(mentions) <= 1 or not mask & SEPARATOR or len({m.service for m in mentions}) == 1:
        return label, [label] * len(mentions)
    # A clause keeps its closing mark: "واقف؟" asks, whatever follows.
    cuts = [cue.end for cue in cues if cue.kinds & SEPARATOR]
    clauses: dict[int, list[Cue]] = {}
    for cue in cues:
        clauses.setdefault(bisect_right(cuts, cue.start), []).append(cue)
    per_mention: list[Label] = []
    decided: dict[int, Label] = {}  # mentions in one clause share its label
    for mention in mentions:
        at = bisect_right(cuts, mention.start)
        own = decided.get(at)
        if own is None:
            own = decided[at] = _decide(clauses.get(at, []), first, mask) or label
        per_mention.append(own)
    return label, per_mention


def _service_blameless(cues: Sequence[Cue], mentions: Sequence[Mention]) -> bool:
    for cue in cues:
        if cue.kinds & NOT_SERVICE:
            for mention in mentions:
                if 0 <= mention.start - cue.end <= _NOT_SERVICE_GAP:
                    return True
    return False


def _decide(cues: Sequence[Cue], first: int, mask: int) -> Label | None:
    has_c = has_r = strong_q = weak_q = fine = past = weak_c = weak_r = False
    last_c = last_r = -1
    vetoes = [cue for cue in cues if cue.kinds & VETO] if mask & VETO else []
    previous: Cue | None = None
    verb: Cue | None = None
    for cue in cues:
        kinds = cue.kinds
        if kinds & SEPARATOR:
            verb = None
        if verb is not None and kinds & NEGATION and cue.start - verb.end <= _SPLIT_NEGATION:
            has_c, last_c, verb = True, cue.start, None
        if kinds & VERB:
            verb = cue
        negated = (
            previous is not None
            and previous.kinds & NEGATION != 0
            and cue.start - previous.end <= _NEGATION_GAP
        )
        if kinds & COMPLAINT:
            if negated:
                fine = True
            elif not (vetoes and _vetoed(cue, vetoes)):
                has_c, last_c = True, cue.start
        elif kinds & RECOVERY:
            if negated:
                has_c, last_c = True, cue.start
            else:
                has_r, last_r = True, cue.start
        if kinds & QUESTION_STRONG:
            strong_q = True
        if kinds & QUESTION_MARK or (kinds & QUESTION_START and cue.start <= first):
            weak_q = True
        if kinds & FINE:
            fine = True
        if kinds & PAST:
            past = True
        if kinds & WEAK_COMPLAINT:
            weak_c = True
        if kinds & WEAK_RECOVERY:
            weak_r = True
        previous = cue
    if has_c:
        if has_r and last_r > last_c:
            return "recovery"
        return "question" if strong_q or weak_q else "complaint"
    if has_r:
        # "is it back?" asks because it is not back for the asker
        return "question" if strong_q or weak_q else "recovery"
    if strong_q:
        return "question"
    if fine or past:
        return "other"
    if weak_c:
        return "question" if weak_q else "complaint"
    if weak_r:
        return "recovery"
    return None


def _vetoed(cue: Cue, vetoes: Sequence[Cue]) -> bool:
    for veto in vetoes:
        if 0 <= cue.start - veto.end <= _VETO_BEFORE or 0 <= veto.start - cue.end <= _VETO_AFTER:
            return True
    return False
