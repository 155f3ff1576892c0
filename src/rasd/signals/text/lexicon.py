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
- markers: frequent words, only used to tell the language (kept out of the automaton);
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


class Lexicon:
    """Cue phrases in one automaton; language markers in a plain word table beside it.

    Markers are short, frequent words ("a", "de", "el"): in the automaton they would match
    inside most words and cost a boundary check each, so they are looked up word by word.
    """

    def __init__(
        self,
        phrases: dict[str, tuple[int, tuple[str, ...]]],
        markers: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self._automaton: Any = ahocorasick.Automaton()
        for phrase, (kinds, langs) in phrases.items():
            entry = (len(phrase), kinds, langs, phrase[0].isalnum(), phrase[-1].isalnum())
            self._automaton.add_word(phrase, entry)
        if phrases:
            self._automaton.make_automaton()
        self.size = len(phrases)
        self.markers: dict[str, tuple[str, ...]] = markers or {}

    @classmethod
    def from_tables(cls, tables: Iterable[dict[str, Any]]) -> Lexicon:
        phrases: dict[str, tuple[int, set[str]]] = {}
        markers: dict[str, set[str]] = {}
        for table in tables:
            lang = str(table.get("lang", ""))
            for bit, kind in enumerate(KINDS):
                for raw in table.get(kind, ()):
                    phrase = normalise(str(raw))
                    if not phrase.strip():
                        continue
                    if kind == "markers":
                        markers.setdefault(phrase, set()).add(lang)
                        continue
                    kinds, langs = phrases.get(phrase, (0, set()))
                    if lang and kind not in ("neutral", "separator"):
                        langs = langs | {lang}
                    phrases[phrase] = (kinds | (1 << bit), langs)
        for phrase in list(phrases):
            single = single_letters(phrase)
            if single != phrase and len(single) >= _MIN_SINGLE and single not in phrases:
                phrases[single] = phrases[phrase]
        return cls(
            {p: (k, tuple(sorted(langs))) for p, (k, langs) in phrases.items()},
            {w: tuple(sorted(langs)) for w, langs in markers.items()},
        )

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

    def scan(self, text: str, spans: list[tuple[int, int]]) -> list[Cue]:
        """Cues in `text` (normal form), in order.

        Overlapping cues resolve to the longest, so "not working" is one complaint and not a
        negation followed by nothing.
        """
        hits: list[Cue] = []
        size = len(text)
        overlap = False
        last_end = -1
        for last, (length, kinds, langs, check_left, check_right) in self._automaton.iter(text):
            end = last + 1
            start = end - length
            span = tag_of(spans, start, end) if spans else None
            if span is not None:
                if not tag_edge_ok(text, span, start, end):
                    continue
            else:
                # The common cases inline: most hits sit inside a longer word.
                if check_left and start and text[start - 1].isalnum():
                    if not left_ok(text, start):
                        continue
                if check_right and end < size and text[end].isalnum():
                    if not right_ok(text, end):
                        continue
            # Hits come by end; one that starts before the previous ends overlaps it.
            if start < last_end:
                overlap = True
            last_end = end
            hits.append(Cue(start, end, kinds, langs))
        if overlap:
            hits = _longest(hits)
        return hits


def _longest(hits: list[Cue]) -> list[Cue]:
    """Of overlapping cues keep the longer; `hits` come in order of their end."""
    kept: list[Cue] = []
    for cue in hits:
        beaten = False
        while kept and cue.start < kept[-1].end:
            if cue.end - cue.start > kept[-1].end - kept[-1].start:
                kept.pop()
            else:
                beaten = True
                break
        if not beaten:
            kept.append(cue)
    return kept
