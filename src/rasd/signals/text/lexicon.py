"""The cue lexicon: words and phrases that tell a complaint from news, an ad or a joke.

Phrases live in data files (`data/lexicon/*.toml`), one per language, each a table of lists
by kind; the rules that weigh them live in `classifier`. Kinds:

- complaint: the service fails ("down", "واقف", "en panne", "geht nicht", "ligt eruit");
- question_strong: asking others ("anyone else", "عندكم", "chez vous"): a question even alone;
- question_start: a question word that counts only at the very start ("is", "هل", "واش");
- question_mark: "?" anywhere;
- recovery: the service is back ("back up", "رجع", "remarche", "geht wieder", "werkt weer");
- weak_complaint / weak_recovery: emoji; they decide only when nothing stronger is said;
- past: an outage told as over ("was down"): not a complaint now;
- fine: the service works ("works for me", "مش واقف" as a phrase);
- negation: turns the complaint or recovery cue right after it around;
- not_service: right before a service, says the service is not to blame ("it's not WhatsApp");
- veto: false friends near a complaint cue ("stock is down", "group is dead");
- news, ad, blame: the post is a news item, an advertisement, or blames the user's own line;
- neutral: phrases that contain a cue word but mean nothing here ("calm down", "download");
- separator: clause breaks, so "WhatsApp is back but Instagram is down" says two things;
- markers: frequent words, only used to tell the language;
- verb: "works", "loads" in languages that put the negation after the verb and further on
  ("WhatsApp geht seit heute Morgen nicht", "ne marche toujours pas"): a complaint when a
  negation follows in the same clause.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick

from rasd.signals.text.boundary import left_ok, right_ok, tag_edge_ok, tag_of
from rasd.signals.text.normalise import normalise, single_letters

# Below this, a single-letter form is another word: "att" would become "at".
_MIN_SINGLE = 5

KINDS = (
    "complaint",
    "question_strong",
    "question_start",
    "question_mark",
    "recovery",
    "weak_complaint",
    "weak_recovery",
    "past",
    "fine",
    "negation",
    "not_service",
    "veto",
    "news",
    "ad",
    "blame",
    "neutral",
    "separator",
    "markers",
    "verb",
)
(
    COMPLAINT,
    QUESTION_STRONG,
    QUESTION_START,
    QUESTION_MARK,
    RECOVERY,
    WEAK_COMPLAINT,
    WEAK_RECOVERY,
    PAST,
    FINE,
    NEGATION,
    NOT_SERVICE,
    VETO,
    NEWS,
    AD,
    BLAME,
    NEUTRAL,
    SEPARATOR,
    MARKER,
    VERB,
) = (1 << i for i in range(len(KINDS)))


@dataclass(frozen=True, slots=True)
class Cue:
    """One resolved cue in a normalised text: its span, its kinds (a bit mask) and languages."""

    start: int
    end: int
    kinds: int
    langs: tuple[str, ...]


class _Entry:
    __slots__ = ("size", "kinds", "langs", "check_left", "check_right")

    def __init__(self, size: int, kinds: int, langs: tuple[str, ...], phrase: str) -> None:
        self.size = size
        self.kinds = kinds
        self.langs = langs
        self.check_left = phrase[0].isalnum()
        self.check_right = phrase[-1].isalnum()


class Lexicon:
    def __init__(self, phrases: dict[str, tuple[int, tuple[str, ...]]]) -> None:
        self._automaton: Any = ahocorasick.Automaton()
        for phrase, (kinds, langs) in phrases.items():
            self._automaton.add_word(phrase, _Entry(len(phrase), kinds, langs, phrase))
        if phrases:
            self._automaton.make_automaton()
        self.size = len(phrases)

    @classmethod
    def from_tables(cls, tables: Iterable[dict[str, Any]]) -> Lexicon:
        phrases: dict[str, tuple[int, set[str]]] = {}
        for table in tables:
            lang = str(table.get("lang", ""))
            for bit, kind in enumerate(KINDS):
                for raw in table.get(kind, ()):
                    phrase = normalise(str(raw))
                    if not phrase.strip():
                        continue
                    kinds, langs = phrases.get(phrase, (0, set()))
                    if kind == "markers" or kind not in ("neutral", "separator"):
                        langs = langs | ({lang} if lang else set())
                    phrases[phrase] = (kinds | (1 << bit), langs)
        for phrase in list(phrases):
            single = single_letters(phrase)
            if single != phrase and len(single) >= _MIN_SINGLE and single not in phrases:
                phrases[single] = phrases[phrase]
        return cls({p: (k, tuple(sorted(langs))) for p, (k, langs) in phrases.items()})

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> Lexicon:
        tables = []
        for path in paths:
            with path.open("rb") as handle:
                tables.append(tomllib.load(handle))
        return cls.from_tables(tables)

    @classmethod
    def default(cls) -> Lexicon:
        folder = resources.files("rasd.signals.text") / "data" / "lexicon"
        tables = []
        for item in sorted(folder.iterdir(), key=lambda entry: entry.name):
            if item.name.endswith(".toml"):
                tables.append(tomllib.loads(item.read_text(encoding="utf-8")))
        return cls.from_tables(tables)

    def scan(self, text: str, spans: list[tuple[int, int]]) -> tuple[list[Cue], list[Cue]]:
        """Cues in `text` (normal form): (resolved cues, language markers).

        Overlapping cues resolve to the longest, so "not working" is one complaint and not a
        negation followed by nothing. Markers are kept apart and never compete.
        """
        hits: list[Cue] = []
        markers: list[Cue] = []
        for last, entry in self._automaton.iter(text):
            end = last + 1
            start = end - entry.size
            span = tag_of(spans, start, end) if spans else None
            if span is not None:
                if not tag_edge_ok(text, span, start, end):
                    continue
            elif (entry.check_left and not left_ok(text, start)) or (
                entry.check_right and not right_ok(text, end)
            ):
                continue
            kinds = entry.kinds
            if kinds & MARKER:
                markers.append(Cue(start, end, MARKER, entry.langs))
                kinds &= ~MARKER
                if not kinds:
                    continue
            hits.append(Cue(start, end, kinds, entry.langs))
        if len(hits) > 1:
            hits = _longest(hits)
        return hits, markers


def _longest(hits: list[Cue]) -> list[Cue]:
    hits.sort(key=lambda cue: (cue.start - cue.end, cue.start))
    taken: list[Cue] = []
    for cue in hits:
        if all(cue.end <= other.start or cue.start >= other.end for other in taken):
            taken.append(cue)
    taken.sort(key=lambda cue: cue.start)
    return taken
