"""Which language a post is in: Arabic by its script, the others by their common words."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from rasd.signals.text.lexicon import Cue

_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LATIN = re.compile(r"[a-z]")
_WORD = re.compile(r"\w+(?:'\w+)?")
# Ties go to the language more posts are written in.
_ORDER = ("en", "ar", "fr", "de", "nl")
UNDETERMINED = "und"


def detect_language(text: str, cues: Sequence[Cue], markers: Mapping[str, tuple[str, ...]]) -> str:
    """Arabic, English, French, German, Dutch ("ar", "en", "fr", "de", "nl") or "und".

    Arabizi ("el whatsapp 3atlan") counts as Arabic. `text` is in normal form, `cues` its
    cues; `markers` maps frequent words to their languages.
    """
    if _ARABIC.search(text):
        return "ar"
    scores: dict[str, int] = {}
    for cue in cues:
        for lang in cue.langs:
            scores[lang] = scores.get(lang, 0) + 1
    for word in _WORD.findall(text):
        for lang in markers.get(word, ()):
            scores[lang] = scores.get(lang, 0) + 1
    if not scores:
        return "en" if _LATIN.search(text) else UNDETERMINED
    best = max(scores.values())
    for lang in _ORDER:
        if scores.get(lang) == best:
            return lang
    return min(lang for lang, score in scores.items() if score == best)
