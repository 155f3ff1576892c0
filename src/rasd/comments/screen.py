"""What a comment's text may hold, and what holds it back for a moderator.

Text is kept as plain text and drawn escaped; what is taken out here are the characters that
change how the text around a comment reads: bidirectional overrides, embeddings and isolates
(an RLO turns "gpj.exe" into "exe.jpg" and can run on into the page), invisible formatting
(zero-width spaces hide links from a filter), and control characters. Joiners stay: Persian
and emoji need them, as Arabic needs its letter mark.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_TEXT = 500
# kept though their category is format: ZWNJ, ZWJ, LRM, RLM, Arabic letter mark
_KEPT_FORMAT = frozenset("\u200c\u200d\u200e\u200f\u061c")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# a scheme, a www. host, or a dotted name ending in a top-level-domain-like label of letters
# ("example.com/x", "t.me/x", "مثال.مصر"): a number such as 3.5 is not one
_LINK = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|\bwww\.|[^\W_](?:[\w-]*[^\W_])?\.(?:[^\W\d_]{2,24})(?:\b|/))",
    re.IGNORECASE,
)
_NOT_WORD = re.compile(r"[\W_]+")


def clean(text: str) -> str:
    """The text as it is kept: NFC, without the characters above, spacing tidied."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for ch in text:
        if ch == "\n" or ch in _KEPT_FORMAT:
            kept.append(ch)
            continue
        category = unicodedata.category(ch)
        if category in ("Zl", "Zp"):
            kept.append("\n")
            continue
        if ch.isspace():
            kept.append(" ")
            continue
        if category in ("Cc", "Cf", "Cs", "Co"):
            continue
        kept.append(ch)
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(kept).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def has_link(text: str) -> bool:
    """Whether the text carries an address, also in full-width letters or with spaces on
    both sides of its dots ("example . com")."""
    folded = _folded(text)
    squeezed = re.sub(r"\s+\.\s+", ".", folded)
    return _LINK.search(folded) is not None or _LINK.search(squeezed) is not None


def fingerprint(text: str) -> str:
    """Equal for texts that differ only in case, spacing, punctuation or emoji."""
    folded = _NOT_WORD.sub(" ", _folded(text)).strip()
    return hashlib.sha256(folded.encode()).hexdigest()
