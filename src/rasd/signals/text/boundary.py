"""Word boundaries that work for Arabic as well as Latin script.

Arabic glues conjunctions, prepositions and the article to the next word: "والواتساب",
"بالفيسبوك", "للانستا". A match inside such a word still counts when what precedes it, back to
the start of the word, is one of these clitics. Possessive endings ("واتسابي") count as well.
Hashtags and mentions are tokens of their own: "#WhatsAppDown" holds a service and a cue.
"""

from __future__ import annotations

import re


def _clitic_prefixes() -> frozenset[str]:
    """Every chain of clitics Arabic writes onto a noun, built from its parts.

    A conjunction (و، ف), then a preposition (ب، ل، ك), then the article ال; ل before ال is
    written لل. "عال" is the spoken "على ال" ("عالفيس"). Normal forms (see normalise): the
    alef of the article is always bare.
    """
    chains: set[str] = {"عال", "وعال", "فعال"}
    for conjunction in ("", "و", "ف"):
        for preposition in ("", "ب", "ل", "ك"):
            for article in ("", "ال"):
                joined = preposition + article
                if joined == "لال":
                    joined = "لل"
                chains.add(conjunction + joined)
    chains.discard("")
    return frozenset(chains)


ARABIC_PREFIXES = _clitic_prefixes()

ARABIC_SUFFIXES = frozenset({"ي", "ك", "ه", "ها", "نا", "كم", "هم", "ات"})
_LONGEST_PREFIX = max(len(p) for p in ARABIC_PREFIXES)
_LONGEST_SUFFIX = max(len(s) for s in ARABIC_SUFFIXES)
# The letters a chain of clitics can end with, and a suffix begin with: a quick first test.
CLITIC_ENDS = "".join(sorted({p[-1] for p in ARABIC_PREFIXES}))
SUFFIX_STARTS = "".join(sorted({s[0] for s in ARABIC_SUFFIXES}))

_TAG = re.compile(r"[#@]\w+")


def _is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff"


def left_ok(text: str, start: int) -> bool:
    """True when a match starting at `start` begins a word, after any Arabic clitics."""
    if start == 0:
        return True
    prev = text[start - 1]
    if not prev.isalnum():
        return True
    if not "\u0600" <= prev <= "\u06ff" or prev not in CLITIC_ENDS:
        return False
    # What precedes the match back to the start of its word must be one chain of clitics:
    # find where the word starts (no further back than the longest chain) and look it up.
    begin = start - 1
    stop = max(start - _LONGEST_PREFIX, 0)
    while begin > stop and text[begin - 1].isalnum():
        begin -= 1
    if begin and text[begin - 1].isalnum():
        return False
    return text[begin:start] in ARABIC_PREFIXES


def right_ok(text: str, end: int) -> bool:
    """True when a match ending at `end` (exclusive) ends a word, before any Arabic suffix."""
    limit = len(text)
    if end >= limit:
        return True
    nxt = text[end]
    if not nxt.isalnum():
        return True
    if not "\u0600" <= nxt <= "\u06ff" or nxt not in SUFFIX_STARTS:
        return False
    stop = end + 1
    last = min(end + _LONGEST_SUFFIX, limit)
    while stop < last and text[stop].isalnum():
        stop += 1
    if stop < limit and text[stop].isalnum():
        return False
    return text[end:stop] in ARABIC_SUFFIXES


def tag_spans(text: str) -> list[tuple[int, int]]:
    """Spans of hashtags and mentions, the sign excluded: "#WhatsApp_Down" -> the words."""
    if "#" not in text and "@" not in text:
        return []
    return [(m.start() + 1, m.end()) for m in _TAG.finditer(text)]


def tag_of(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    for span in spans:
        if span[0] <= start and end <= span[1]:
            return span
    return None


def tag_edge_ok(
    text: str,
    span: tuple[int, int],
    start: int,
    end: int,
    breaks: frozenset[int] = frozenset(),
) -> bool:
    """Inside a tag, a match counts at either end of it or between underscores.

    With `breaks` (where a CamelCase word or another script begins, see `word_breaks`), a
    tag that has them is read as words: a match must then start and end on one of them,
    "#IsWhatsAppDown" names WhatsApp, and "#XboxLive" does not name X.
    """
    left = start == span[0] or text[start - 1] == "_"
    right = end == span[1] or text[end] == "_"
    if breaks and any(span[0] < b < span[1] for b in breaks):
        return (left or start in breaks) and (right or end in breaks)
    return left or right


def word_breaks(original: str, spans: list[tuple[int, int]]) -> frozenset[int]:
    """Where a new word begins inside the tags of `original`: a capital after a small letter,
    or a change of script ("#واتسابDown"). `spans` index `original`."""
    found: set[int] = set()
    for begin, stop in spans:
        for i in range(begin + 1, stop):
            prev, ch = original[i - 1], original[i]
            if (ch.isupper() and prev.islower()) or (
                ch.isalpha() and prev.isalpha() and _is_arabic(ch) != _is_arabic(prev)
            ):
                found.add(i)
    return frozenset(found)
