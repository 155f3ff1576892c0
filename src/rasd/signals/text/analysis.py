"""One post, fully read: which services it names, what it says about them, in which language."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from rasd.signals.text.boundary import tag_spans, word_breaks
from rasd.signals.text.classifier import Label, label_post, near_cue
from rasd.signals.text.language import UNDETERMINED, detect_language
from rasd.signals.text.lexicon import Cue, Lexicon
from rasd.signals.text.matcher import AliasMatcher, Mention
from rasd.signals.text.normalise import normalise, source_offsets


class PostAnalysis:
    """`mentions` index the original text; `services` gives each named service its label.

    The language is worked out on first use: counting posts does not need it.
    """

    __slots__ = ("mentions", "label", "services", "_language", "_evidence")

    def __init__(
        self,
        mentions: list[Mention],
        label: Label,
        language: str | None = None,
        services: dict[str, Label] | None = None,
        *,
        evidence: tuple[str, list[Cue], Mapping[str, tuple[str, ...]]] | None = None,
    ) -> None:
        self.mentions = mentions
        self.label: Label = label
        self.services: dict[str, Label] = services if services is not None else {}
        self._language = language
        self._evidence = evidence

    @property
    def language(self) -> str:
        if self._language is None:
            if self._evidence is None:
                self._language = UNDETERMINED
            else:
                self._language = detect_language(*self._evidence)
                self._evidence = None
        return self._language

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PostAnalysis):
            return NotImplemented
        return (self.mentions, self.label, self.language, self.services) == (
            other.mentions,
            other.label,
            other.language,
            other.services,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"PostAnalysis(mentions={self.mentions!r}, label={self.label!r}, "
            f"language={self.language!r}, services={self.services!r})"
        )


class Analyser:
    def __init__(self, matcher: AliasMatcher, lexicon: Lexicon | None = None) -> None:
        self.matcher = matcher
        self.lexicon = lexicon if lexicon is not None else default_lexicon()

    def analyse(self, text: str) -> PostAnalysis:
        norm = normalise(text)
        spans = tag_spans(norm)
        cues = self.lexicon.scan(norm, spans)
        breaks = _breaks(text, norm, spans)
        mentions = self.matcher.find(
            norm, lambda start, end: near_cue(cues, start, end), breaks, spans
        )
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
        evidence = (norm, cues, self.lexicon.markers)
        return PostAnalysis(mentions, label, None, services, evidence=evidence)

    def service_labels(self, text: str) -> dict[str, Label]:
        """Only what counting needs: each named service and its label; {} costs least.

        The cue scan runs only once a service is found (or an ambiguous alias needs context).
        """
        norm = normalise(text)
        spans = tag_spans(norm)
        scanned: list[list[Cue]] = []

        def context(start: int, end: int) -> bool:
            if not scanned:
                scanned.append(self.lexicon.scan(norm, spans))
            return near_cue(scanned[0], start, end)

        mentions = self.matcher.find(norm, context, _breaks(text, norm, spans), spans)
        if not mentions:
            return {}
        cues = scanned[0] if scanned else self.lexicon.scan(norm, spans)
        _, labels = label_post(norm, cues, mentions)
        services: dict[str, Label] = {}
        for mention, own in zip(mentions, labels, strict=True):
            services[mention.service] = _stronger(services.get(mention.service), own)
        return services

    def classify(self, text: str) -> Label:
        return self.analyse(text).label


def _breaks(text: str, norm: str, spans: list[tuple[int, int]]) -> frozenset[int]:
    """CamelCase words in tags: the case is in the original, the positions in the normal form
    (the same wherever the normal form kept the length, as it does for nearly every tag)."""
    if not spans or len(norm) != len(text):
        return frozenset()
    return word_breaks(text, spans)


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
