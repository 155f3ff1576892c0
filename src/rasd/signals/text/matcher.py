"""Finding services in text: Aho-Corasick automata over every alias of every service."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import ahocorasick

from rasd.signals.text.boundary import (
    CLITIC_ENDS,
    SUFFIX_STARTS,
    left_ok,
    right_ok,
    tag_edge_ok,
    tag_of,
    tag_spans,
)
from rasd.signals.text.normalise import normalise, single_letters
from rasd.signals.text.spelling import (
    LONG_SKELETON,
    LONG_VOWELS,
    MAX_VOWEL_EDITS,
    MIN_SKELETON,
    bare,
    dropped_vowels,
    fits,
    folded,
    forms,
    has_arabic,
    runs_apart,
    skeleton,
    skeleton_letters,
    spelt_out,
    vowel_runs,
    vowel_slots,
    words,
)

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


class _Skeletal(NamedTuple):
    """A name looked for in the skeleton, and what placing a match back in the text needs.

    `lead` is its first letter when that is a vowel and `tail` its last, which the skeleton
    drops and the text must show ("الواتساب", "سبوتيفي"); `spellings` are the folded aliases
    the skeleton came from, `slots` and `runs` their vowels (see `spelling.vowel_slots`).
    """

    service: str
    alias: str
    lead: str
    tail: str
    spellings: tuple[str, ...]
    slots: tuple[frozenset[str], ...] = ()
    runs: tuple[tuple[str, ...], ...] = ()
    long: bool = False


class AliasMatcher:
    """All aliases in one automaton; matches respect word boundaries in both scripts.

    An ambiguous alias (a short or common word) counts only as a hashtag or mention of its
    own ("#fb", "@Meta", "#xdown"), next to an unambiguous alias of the same service, or
    where the caller's context test says the words around it are about an outage.

    Arabic spellings nobody listed are found through the folds of `spelling`: the aliases
    are matched in the folded text (g letters as one), and the unambiguous ones with long
    enough skeletons once more in the skeleton of the text (inner long vowels left out).
    """

    def __init__(self, automaton: Any, services: int, aliases: int, skeletons: Any = None) -> None:
        self._automaton = automaton
        self._skeletons = skeletons
        self.services = services
        self.aliases = aliases

    @classmethod
    def from_entries(cls, entries: Iterable[AliasEntry]) -> AliasMatcher:
        by_key: dict[str, dict[str, _Target]] = {}
        services: set[str] = set()
        arabic: list[tuple[str, AliasEntry]] = []
        latin: dict[str, list[list[str]]] = {}
        one_word: set[str] = set()  # services with a one-word name in Latin letters
        for entry in entries:
            norm = normalise(entry.alias.strip()).lstrip("#@")
            if not norm:
                continue
            services.add(entry.service_id)
            _add(by_key, folded(norm), _Target(entry.service_id, entry.alias, entry.ambiguous))
            if has_arabic(norm):
                arabic.append((norm, entry))
            else:
                parts = [normalise(w) for w in words(entry.alias)]
                if len(parts) > 1:
                    latin.setdefault(entry.service_id, []).append(parts)
                if " " not in norm:
                    one_word.add(entry.service_id)
                target = _Target(entry.service_id, entry.alias, entry.ambiguous)
                for form in spelt_out(entry.alias.strip()):
                    _add(by_key, folded(form), target, generated=True)
        for norm, entry in arabic:
            target = _Target(entry.service_id, entry.alias, entry.ambiguous)
            joins = entry.service_id in one_word
            for form in forms(norm, latin.get(entry.service_id, ()), joins=joins):
                _add(by_key, folded(form), target, generated=True)
        for key in list(by_key):
            single = single_letters(key)
            if single != key and len(single) >= _MIN_SINGLE and single not in by_key:
                by_key[single] = by_key[key]
        automaton = ahocorasick.Automaton()
        for key, targets in by_key.items():
            automaton.add_word(key, (len(key), tuple(targets.values())))
        if by_key:
            automaton.make_automaton()
        return cls(automaton, len(services), len(by_key), _skeleton_automaton(by_key))

    @classmethod
    def from_catalog(cls, catalog: Iterable[Any]) -> AliasMatcher:
        """From `rasd.catalog`: every name and alias; `ambiguous_aliases` flagged."""
        return cls.from_entries(catalog_entries(catalog))

    def find(
        self,
        text: str,
        context: ContextTest | None = None,
        breaks: frozenset[int] = frozenset(),
        spans: list[tuple[int, int]] | None = None,
    ) -> list[Mention]:
        """Mentions in `text`, which must already be in normal form (see `normalise`).

        `breaks`: where words begin inside tags, which only the original text shows
        (see `boundary.word_breaks`); `spans`: the tags of `text` if the caller has them.
        """
        if not self.aliases:
            return []
        plain = text.isascii()
        search = text if plain and "_" not in text else folded(text)
        if spans is None:
            spans = tag_spans(text)
        found: list[tuple[int, int, _Target]] = []
        pending: list[tuple[int, int, _Target]] = []
        length = len(text)
        for last, (size, targets) in self._automaton.iter(search):
            end = last + 1
            start = end - size
            span = tag_of(spans, start, end) if spans else None
            if span is not None:
                if not tag_edge_ok(text, span, start, end, breaks):
                    continue
                whole = start == span[0] and end == span[1]
                for target in targets:
                    if not target.ambiguous or whole:
                        found.append((start, end, target))
                    elif start == span[0] or _own_word(text, span, start, end):
                        # "#xdown", "#عطل_فودافون" yes, "#xbox" no: the context decides
                        pending.append((start, end, target))
                continue
            # The common cases inline: most hits sit inside a longer word, and a letter of
            # another script there rules the match out without looking for clitics.
            if start:
                prev = text[start - 1]
                if prev.isalnum() and (
                    prev < "\u0600"
                    or prev > "\u06ff"
                    or prev not in CLITIC_ENDS
                    or not left_ok(text, start)
                ):
                    continue
            if end < length:
                nxt = text[end]
                if nxt.isalnum() and (
                    nxt < "\u0600"
                    or nxt > "\u06ff"
                    or nxt not in SUFFIX_STARTS
                    or not right_ok(text, end)
                ):
                    continue
            for target in targets:
                if target.ambiguous:
                    pending.append((start, end, target))
                    continue
                # A name with and without its article ("الواتساب"، "واتساب") or its longer
                # alias ("x app"): of one service's matches one inside another, the outer one
                # is all `_longest_first` would keep, so keep only it from the start.
                if found:
                    was_start, was_end, was = found[-1]
                    if was.service == target.service:
                        if was_start <= start and end <= was_end:
                            continue
                        if start <= was_start and was_end <= end:
                            found[-1] = (start, end, target)
                            continue
                found.append((start, end, target))
        if self._skeletons is not None and not plain and has_arabic(search):
            self._find_skeletal(text, search, spans, found, pending, breaks)
        if pending:
            sure = {t.service for _, _, t in found}
            strong: dict[tuple[int, int], bool] = {}  # one alias often stands for many services
            for start, end, target in pending:
                if target.service in sure:
                    found.append((start, end, target))
                    continue
                if context is None:
                    continue
                where = (start, end)
                ok = strong.get(where)
                if ok is None:
                    ok = strong[where] = context(start, end)
                if ok:
                    found.append((start, end, target))
        return _longest_first(found)

    def _find_skeletal(
        self,
        text: str,
        search: str,
        spans: list[tuple[int, int]],
        found: list[tuple[int, int, _Target]],
        pending: list[tuple[int, int, _Target]],
        breaks: frozenset[int],
    ) -> None:
        """Adds the spellings only the skeleton of `search` shows, placed in `text`.

        Words a listed alias matched already are not read again (a longer reading still is:
        "أمازون ويب سيرفسيز" is AWS, not Amazon); where one skeleton stands for several
        names, the ones spelt nearest to what is written win.
        """
        read: list[tuple[int, int]] | None = None
        dropped: list[int] | None = None
        seen: set[str] | None = None
        length = len(text)
        # One letter for the three long vowels: the skeleton drops it, and its positions are
        # the ones the skeleton drops (`search` is folded already).
        vowels = search.replace("و", "ا").replace("ي", "ا")
        bones = vowels.replace("ا", "")
        for last, (size, targets, leads, tails, services) in self._skeletons.iter(bones):
            # Most skeleton matches are names the folded text showed already: a service named
            # twice counts once, so only a service not yet found is worth placing.
            if seen is None:
                seen = {t.service for _, _, t in found}
            if services <= seen:
                continue
            # Nor is a match inside words a listed alias read (compared in the skeleton's own
            # positions, which costs less than placing the match in the text first).
            if read is None:
                read = _skeleton_spans(vowels, found, pending)
            first = last + 1 - size
            covered = False
            for s, e in read:
                if s <= first and last < e:
                    covered = True
                    break
            if covered:
                continue
            if dropped is None:
                dropped = dropped_vowels(vowels)
            # The common case inline: inside a longer word, with no vowel or clitic to explain it.
            start = _unskeleton(dropped, first)
            before = text[start - 1] if start else " "
            if (
                before.isalnum()
                and not (leads and before in LONG_VOWELS)
                and not left_ok(text, start)
            ):
                continue
            end = _unskeleton(dropped, last) + 1
            after = text[end] if end < length else " "
            if after.isalnum() and not (tails and after in LONG_VOWELS) and not right_ok(text, end):
                continue
            near: list[tuple[int, tuple[int, int], _Skeletal]] = []
            for target in targets:
                if target.service not in seen:
                    placed = _place(text, spans, start, end, target, breaks)
                    if placed is not None:
                        near.append((*placed, target))
            if near:
                best = min(edits for edits, _, _ in near)
                for edits, where, target in near:
                    if edits == best and target.service not in seen:
                        seen.add(target.service)
                        found.append((*where, _Target(target.service, target.alias, False)))


def _skeleton_spans(
    vowels: str,
    found: list[tuple[int, int, _Target]],
    pending: list[tuple[int, int, _Target]],
) -> list[tuple[int, int]]:
    """The spans read so far in positions of the skeleton: [first, stop). `vowels` is the
    folded text with "ا" for every long vowel."""
    read = [(s - vowels.count("ا", 0, s), e - vowels.count("ا", 0, e)) for s, e, _ in found]
    if pending:  # one ambiguous alias may stand for many services, all at one place
        for s, e in {(s, e) for s, e, _ in pending}:
            read.append((s - vowels.count("ا", 0, s), e - vowels.count("ا", 0, e)))
    return read


def _unskeleton(dropped: list[int], index: int) -> int:
    """The index in the text of character `index` of its skeleton (`dropped`: what went)."""
    at = index
    while True:
        moved = index + bisect_right(dropped, at)
        if moved == at:
            return at
        at = moved


def _own_word(text: str, span: tuple[int, int], start: int, end: int) -> bool:
    """True when [start, end) is a whole word of the tag between underscores."""
    left = start == span[0] or text[start - 1] == "_"
    return left and (end == span[1] or text[end] == "_")


def _add(
    by_key: dict[str, dict[str, _Target]], key: str, target: _Target, generated: bool = False
) -> None:
    targets = by_key.setdefault(key, {})
    known = targets.get(target.service)
    if generated and known is not None:
        return  # a listed alias says more than a generated form of another
    # One service, one alias: it is ambiguous only if every source says so.
    ambiguous = target.ambiguous and (known is None or known.ambiguous)
    targets[target.service] = target._replace(ambiguous=ambiguous)


def _skeleton_automaton(by_key: dict[str, dict[str, _Target]]) -> Any:
    """The unambiguous Arabic keys by skeleton, with what placing a match back needs."""
    by_skeleton: dict[str, dict[tuple[str, str, str], _Skeletal]] = {}
    for key, targets in by_key.items():
        sure = [t for t in targets.values() if not t.ambiguous]
        if not sure or not has_arabic(key):
            continue
        word = bare(key)
        bones = skeleton(word)
        lead = word[0] if word[0] in LONG_VOWELS else ""
        # Words apart say more than letters in one word: "جي ميل" is no "جميل".
        least = MIN_SKELETON - 1 if " " in bones else MIN_SKELETON
        if skeleton_letters(bones) < least or bones != bones.strip():
            continue
        tail = word[-1] if len(word) > 1 and word[-1] in LONG_VOWELS else ""
        search_key = bones
        slot = by_skeleton.setdefault(search_key, {})
        for t in sure:
            known = slot.get((t.service, lead, tail))
            spellings = (known.spellings if known else ()) + (word,)
            slot[(t.service, lead, tail)] = _Skeletal(t.service, t.alias, lead, tail, spellings)
    if not by_skeleton:
        return None
    automaton = ahocorasick.Automaton()
    for key, found in by_skeleton.items():
        placed = tuple(
            t._replace(
                slots=vowel_slots(t.spellings),
                runs=tuple(map(vowel_runs, t.spellings)),
                long=skeleton_letters(key) >= LONG_SKELETON,
            )
            for t in found.values()
        )
        leads = any(t.lead for t in placed)
        tails = any(t.tail for t in placed)
        services = frozenset(t.service for t in placed)
        automaton.add_word(key, (len(key), placed, leads, tails, services))
    automaton.make_automaton()
    return automaton


def _place(
    text: str,
    spans: list[tuple[int, int]],
    start: int,
    end: int,
    target: _Skeletal,
    breaks: frozenset[int],
) -> tuple[int, tuple[int, int]] | None:
    """Where a skeleton match lies in `text`, with its lead and tail vowels, if on a word
    and spelt close enough to one of the names it stands for: (vowel edits, span)."""
    if target.tail:
        stop = end
        while stop < len(text) and text[stop] in LONG_VOWELS:
            stop += 1
        if stop == end or text[stop - 1] != target.tail:
            return None
        end = stop
    span = tag_of(spans, start, end) if spans else None
    if target.lead:
        # Back over the vowels before the match, to the lead letter on a word's edge.
        begin = start
        while begin and text[begin - 1] in LONG_VOWELS:
            begin -= 1
        heads = [
            k
            for k in range(begin, start)
            if text[k] == target.lead and (span is not None or left_ok(text, k))
        ]
        if not heads:
            return None
        start = heads[0]
        span = tag_of(spans, start, end) if spans else None
    if span is not None:
        if not tag_edge_ok(text, span, start, end, breaks):
            return None
    elif (not target.lead and not left_ok(text, start)) or not right_ok(text, end):
        return None
    written = folded(text[start:end])
    runs = vowel_runs(written)
    edits = min(runs_apart(runs, known) for known in target.runs)
    # One vowel more or less is always a spelling; two only where the name has vowels,
    # unless the name is long enough for no word to share its skeleton ("سيرفسيز").
    if edits > 1 and (
        edits > MAX_VOWEL_EDITS or (not target.long and not fits(written, target.slots))
    ):
        return None
    return edits, (start, end)


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
        for lang, listed in aliases.items():
            for form in listed:
                yield AliasEntry(service.id, form, lang, normalise(form) in ambiguous)
        for form in getattr(service, "ambiguous_aliases", ()):
            yield AliasEntry(service.id, form, "*", True)
