"""Finding services in text: one Aho-Corasick automaton over every alias of every service."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import ahocorasick

from rasd.signals.text.boundary import left_ok, right_ok, tag_edge_ok, tag_of, tag_spans
from rasd.signals.text.normalise import normalise, single_letters

# Below this, a single-letter form is another word: "att" would become "at".
_MIN_SINGLE = 5


class AliasEntry(NamedTuple):
    service_id: str
    alias: str
    lang: str = "*"
    ambiguous: bool = False


class Mention(NamedTuple):
    """A service named in a text: `start`/`end` index the text that was searched."""

    service: str
    alias: str
    start: int
    end: int


class _Target(NamedTuple):
    service: str
    alias: str
    ambiguous: bool


# Decides whether an ambiguous alias ("x", "signal") at [start, end) has strong context.
ContextTest = Callable[[int, int], bool]


class AliasMatcher:
    """All aliases in one automaton; matches respect word boundaries in both scripts.

    An ambiguous alias (a short or common word) counts only as a hashtag or mention of its
    own ("#fb", "@Meta", "#xdown"), next to an unambiguous alias of the same service, or
    where the caller's context test says the words around it are about an outage.
    """

    def __init__(self, automaton: Any, services: int, aliases: int) -> None:
        self._automaton = automaton
        self.services = services
        self.aliases = aliases

    @classmethod
    def from_entries(cls, entries: Iterable[AliasEntry]) -> AliasMatcher:
        by_key: dict[str, dict[str, _Target]] = {}
        services: set[str] = set()
        for entry in entries:
            key = normalise(entry.alias.strip()).lstrip("#@")
            if not key:
                continue
            services.add(entry.service_id)
            targets = by_key.setdefault(key, {})
            known = targets.get(entry.service_id)
            # One service, one alias: it is ambiguous only if every source says so.
            ambiguous = entry.ambiguous and (known is None or known.ambiguous)
            targets[entry.service_id] = _Target(entry.service_id, entry.alias, ambiguous)
        for key in list(by_key):
            single = single_letters(key)
            if single != key and len(single) >= _MIN_SINGLE and single not in by_key:
                by_key[single] = by_key[key]
        automaton = ahocorasick.Automaton()
        for key, targets in by_key.items():
            automaton.add_word(key, (len(key), tuple(targets.values())))
        if by_key:
            automaton.make_automaton()
        return cls(automaton, len(services), len(by_key))

    @classmethod
    def from_catalog(cls, catalog: Iterable[Any]) -> AliasMatcher:
        """From `rasd.catalog`: every name and alias; `ambiguous_aliases` flagged."""
        return cls.from_entries(catalog_entries(catalog))

    def find(self, text: str, context: ContextTest | None = None) -> list[Mention]:
        """Mentions in `text`, which must already be in normal form (see `normalise`)."""
        if not self.aliases:
            return []
        spans = tag_spans(text)
        found: list[tuple[int, int, _Target]] = []
        pending: list[tuple[int, int, _Target]] = []
        length = len(text)
        for last, (size, targets) in self._automaton.iter(text):
            end = last + 1
            start = end - size
            span = tag_of(spans, start, end) if spans else None
            if span is not None:
                if not tag_edge_ok(text, span, start, end):
                    continue
                whole = start == span[0] and end == span[1]
                for target in targets:
                    if not target.ambiguous or whole:
                        found.append((start, end, target))
                    elif start == span[0]:  # "#xdown" yes, "#xbox" no: the context decides
                        pending.append((start, end, target))
                continue
            # The common cases inline: most hits sit inside a longer word.
            if start and text[start - 1].isalnum() and not left_ok(text, start):
                continue
            if end < length and text[end].isalnum() and not right_ok(text, end):
                continue
            for target in targets:
                (pending if target.ambiguous else found).append((start, end, target))
        if pending:
            sure = {t.service for _, _, t in found}
            for start, end, target in pending:
                if target.service in sure or (context is not None and context(start, end)):
                    found.append((start, end, target))
        return _longest_first(found)


def _longest_first(found: list[tuple[int, int, _Target]]) -> list[Mention]:
    """Overlapping matches: the longest wins ("facebook messenger" over "facebook")."""
    if len(found) <= 1:
        return [Mention(t.service, t.alias, s, e) for s, e, t in found]
    found.sort(key=lambda hit: (hit[0], hit[0] - hit[1]))
    kept: list[Mention] = []
    taken_end = -1
    taken_start = -1
    for start, end, target in found:
        if start < taken_end and not (start == taken_start and end == kept[-1].end):
            continue
        kept.append(Mention(target.service, target.alias, start, end))
        taken_start, taken_end = start, max(end, taken_end)
    return kept


def catalog_entries(catalog: Iterable[Any]) -> Iterable[AliasEntry]:
    for service in catalog:
        ambiguous = {normalise(a) for a in getattr(service, "ambiguous_aliases", ())}
        names: dict[str, str] = getattr(service, "name", {}) or {}
        aliases: dict[str, tuple[str, ...]] = getattr(service, "aliases", {}) or {}
        for lang, name in names.items():
            yield AliasEntry(service.id, name, lang, normalise(name) in ambiguous)
        for lang, forms in aliases.items():
            for form in forms:
                yield AliasEntry(service.id, form, lang, normalise(form) in ambiguous)
        for form in getattr(service, "ambiguous_aliases", ()):
            yield AliasEntry(service.id, form, "*", True)
