"""Events and incidents as they are shown: what the store keeps of them, with their phrases
said in the reader's languages.

An event keeps its title, the lines of its timeline, its cause hints and the sentence of its
causes as phrases (`rasd.phrase`); the API, the pages, live updates and feeds show each as
`{"en": ..., "ar": ...}` (the published languages, and the reader's own when it is another),
the same fields as before events kept codes. A row kept before then holds words: they are
shown as they are, in English for a language they lack. An incident's reasons are codes and
numbers; each gets its `text` here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rasd.locale import PUBLISHED, SOURCE, words
from rasd.locale.evidence import reason_text
from rasd.locale.phrases import Names, each
from rasd.phrase import Phrase, is_phrase


def shown_languages(lang: str | None) -> tuple[str, ...]:
    """The published languages, and `lang` after them when it is another."""
    if not lang or lang in PUBLISHED:
        return PUBLISHED
    return (*PUBLISHED, lang)


def said(value: object, names: Names, langs: Sequence[str] = PUBLISHED) -> dict[str, str]:
    """A stored phrase in each of `langs`; stored words as they are."""
    if is_phrase(value):
        assert isinstance(value, Mapping)
        return each(Phrase.from_dict(value), names, langs)
    if isinstance(value, Mapping):
        fallback = str(value.get(SOURCE) or "")
        return {lang: str(value.get(lang) or fallback) for lang in langs}
    return {lang: "" if value is None else str(value) for lang in langs}


def said_event(
    data: Mapping[str, Any], names: Names, langs: Sequence[str] = PUBLISHED
) -> dict[str, Any]:
    """A stored event with its words in `langs`."""
    out = dict(data)
    out["title"] = said(data.get("title"), names, langs)
    cause = data.get("cause")
    out["cause"] = None if cause is None else said(cause, names, langs)
    out["log"] = [
        {**entry, "text": said(entry.get("text"), names, langs)} for entry in data.get("log") or []
    ]
    out["cause_hints"] = [
        {**hint, **{key: said(hint.get(key), names, langs) for key in ("text", "at", "summary")}}
        for hint in data.get("cause_hints") or []
    ]
    return out


def said_incident(data: Mapping[str, Any], langs: Sequence[str] = PUBLISHED) -> dict[str, Any]:
    """A stored incident with each reason of its evidence in words, in `langs`."""
    evidence = data.get("evidence")
    if not isinstance(evidence, Mapping) or not evidence.get("reasons"):
        return dict(data)
    reasons = [_reason(r, langs) for r in evidence["reasons"]]
    return {**data, "evidence": {**evidence, "reasons": reasons}}


def _reason(reason: Mapping[str, Any], langs: Sequence[str]) -> dict[str, Any]:
    code, signal = str(reason.get("code", "")), str(reason.get("signal", ""))
    observed, expected = float(reason.get("observed", 0.0)), float(reason.get("expected", 0.0))
    text = {lang: reason_text(words(lang), code, signal, observed, expected) for lang in langs}
    return {**reason, "text": text}
