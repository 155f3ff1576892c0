"""One post, fully read: which services it names, what it says about them, in which language."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from rasd.signals.text.boundary import tag_spans
from rasd.signals.text.classifier import Label, label_post, near_cue
from rasd.signals.text.language import detect_language
from rasd.signals.text.lexicon import Lexicon
from rasd.signals.text.matcher import AliasMatcher, Mention
from rasd.signals.text.normalise import normalise, source_offsets


@dataclass(frozen=True, slots=True)
class PostAnalysis:
    """`mentions` index the original text; `services` gives each named service its label."""

    mentions: list[Mention]
    label: Label
    language: str
    services: dict[str, Label] = field(default_factory=dict)


class Analyser:
    def __init__(self, matcher: AliasMatcher, lexicon: Lexicon | None = None) -> None:
        self.matcher = matcher
        self.lexicon = lexicon if lexicon is not None else default_lexicon()

    def analyse(self, text: str) -> PostAnalysis:
        norm = normalise(text)
        spans = tag_spans(norm)
        cues, markers = self.lexicon.scan(norm, spans)
        mentions = self.matcher.find(norm, lambda start, end: near_cue(cues, start, end))
        label, labels = label_post(norm, cues, mentions)
        services: dict[str, Label] = {}
        for mention, own in zip(mentions, labels, strict=True):
            services[mention.service] = _stronger(services.get(mention.service), own)
        if mentions and len(norm) != len(text):
            offsets = source_offsets(text)
            if len(offsets) == len(norm) + 1:
                mentions = [
                    m._replace(start=offsets[m.start], end=offsets[m.end]) for m in mentions
                ]
        return PostAnalysis(mentions, label, detect_language(norm, cues, markers), services)

    def classify(self, text: str) -> Label:
        return self.analyse(text).label


# When one service is named twice with two labels, a complaint outweighs the rest.
_WEIGHT: dict[str, int] = {"complaint": 3, "question": 2, "recovery": 1, "other": 0}


def _stronger(current: Label | None, new: Label) -> Label:
    if current is None or _WEIGHT[new] > _WEIGHT[current]:
        return new
    return current


@cache
def default_lexicon() -> Lexicon:
    return Lexicon.default()


@cache
def default_analyser() -> Analyser:
    """The analyser over the default catalog, built once per process."""
    from rasd.catalog import default_catalog

    return Analyser(AliasMatcher.from_catalog(default_catalog()), default_lexicon())


def analyse(text: str) -> PostAnalysis:
    """Services, label and language of one post, with the default catalog and lexicon."""
    return default_analyser().analyse(text)


def classify(text: str) -> Label:
    """The label of one post: complaint, question, recovery or other."""
    return default_analyser().analyse(text).label
