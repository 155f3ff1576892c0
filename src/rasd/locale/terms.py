"""Words for the codes the domain hands out, kept in one place for every page, feed and alert.

The domain says `level = 2` or `state = "recovering"`; this says what they are called. A
heading or a label takes `level_name`, a sentence that puts the level inside it
`level_phrase` (lower case in English; a translator usually writes the same words for both).
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


# an incident's state, as a feed entry puts it in brackets
INCIDENT_STATES = {
    "opened": N_("ongoing"),
    "ongoing": N_("ongoing"),
    "recovering": N_("recovering"),
    "resolved": N_("resolved"),
}


def _clamp(level: int) -> int:
    return max(0, min(int(level), 2))


def level_name(words: Words, level: int) -> str:
    return words(LEVEL_NAMES[_clamp(level)])


def level_phrase(words: Words, level: int) -> str:
    return words(LEVEL_PHRASES[_clamp(level)])


def incident_state(words: Words, state: str) -> str:
    return words(INCIDENT_STATES.get(state, INCIDENT_STATES["ongoing"]))
