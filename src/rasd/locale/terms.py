"""Words for the codes the domain hands out, kept in one place for every page, feed and alert.

The domain says `level = 2`; this says what 2 is called. A heading or a label takes
`level_name`, a sentence that puts the level inside it `level_phrase` (lower case in English;
a translator usually writes the same words for both).
"""

from __future__ import annotations

from rasd.locale import N_, Words

LEVEL_NAMES = {
    0: N_("No problems"),
    1: N_("Possible problems"),
    2: N_("Problems detected"),
}
LEVEL_PHRASES = {
    0: N_("no problems"),
    1: N_("possible problems"),
    2: N_("problems detected"),
}


def _clamp(level: int) -> int:
    return max(0, min(int(level), 2))


def level_name(words: Words, level: int) -> str:
    return words(LEVEL_NAMES[_clamp(level)])


def level_phrase(words: Words, level: int) -> str:
    return words(LEVEL_PHRASES[_clamp(level)])
