"""A small alias list, so these tests do not depend on the catalog's contents."""

from __future__ import annotations

import pytest

from rasd.signals.text import AliasEntry, AliasMatcher, Analyser, default_lexicon

ENTRIES = [
    AliasEntry("whatsapp", "WhatsApp", "en"),
    AliasEntry("whatsapp", "واتساب", "ar"),
    AliasEntry("whatsapp", "واتس", "ar"),
    AliasEntry("whatsapp", "wa", "en", ambiguous=True),
    AliasEntry("facebook", "Facebook", "en"),
    AliasEntry("facebook", "فيسبوك", "ar"),
    AliasEntry("facebook", "fb", "en", ambiguous=True),
    AliasEntry("facebook", "الفيس", "ar", ambiguous=True),
    AliasEntry("instagram", "Instagram", "en"),
    AliasEntry("instagram", "insta", "en"),
    AliasEntry("instagram", "انستغرام", "ar"),
    AliasEntry("messenger", "Facebook Messenger", "en"),
    AliasEntry("twitter", "Twitter", "en"),
    AliasEntry("twitter", "x", "en", ambiguous=True),
    AliasEntry("signal", "Signal app", "en"),
    AliasEntry("signal", "signal", "en", ambiguous=True),
    AliasEntry("att", "ATT", "en"),
]


@pytest.fixture(scope="session")
def matcher() -> AliasMatcher:
    return AliasMatcher.from_entries(ENTRIES)


@pytest.fixture(scope="session")
def analyser(matcher: AliasMatcher) -> Analyser:
    return Analyser(matcher, default_lexicon())
