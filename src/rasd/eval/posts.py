"""Scoring the post classifier against the labelled set written for the project.

The set (`data/posts/*.jsonl`, described in its README) comes in two parts: `dev`, the posts
the rules and lexicons were written against, and `heldout`, posts that were written before
the rules and never used to tune them. Both are scored; the held-out figures are the honest
ones. Each row: id, text, lang (`en`, `fr`, `de`, `nl`, `ar-eg`, `ar-gulf`, `ar-lev`, `ar-mag`,
`ar-msa`, `ar-latn`), label, services (catalog ids the post names), origin (hand or template).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from rasd.signals.text.analysis import Analyser
from rasd.signals.text.classifier import COMPLAINING, LABELS

SETS = ("dev", "heldout")
ALL = "*"


@dataclass(frozen=True, slots=True)
class LabelledPost:
    id: str
    text: str
    lang: str
    label: str
    services: tuple[str, ...]
    origin: str


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass(slots=True)
class Score:
    """Counts by (language, label); label "complaining" is complaint+question vs the rest."""

    posts: int = 0
    by_key: dict[tuple[str, str], Counts] = field(default_factory=dict)
    services: Counts = field(default_factory=Counts)
    language_right: int = 0
    errors: list[tuple[LabelledPost, str]] = field(default_factory=list)

    def counts(self, lang: str, label: str) -> Counts:
        return self.by_key.setdefault((lang, label), Counts())

    def langs(self) -> list[str]:
        return sorted({lang for lang, _ in self.by_key if lang != ALL})


def load_set(name: str) -> list[LabelledPost]:
    if name not in SETS:
        raise ValueError(f"unknown set {name!r}; one of {', '.join(SETS)}")
    source = resources.files("rasd.eval") / "data" / "posts" / f"{name}.jsonl"
    return list(parse_rows(source.read_text(encoding="utf-8").splitlines()))


def parse_rows(lines: Iterable[str]) -> Iterable[LabelledPost]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        row: dict[str, Any] = json.loads(line)
        if row["label"] not in LABELS:
            raise ValueError(f"line {number}: unknown label {row['label']!r}")
        yield LabelledPost(
            id=row["id"],
            text=row["text"],
            lang=row["lang"],
            label=row["label"],
            services=tuple(row.get("services", ())),
            origin=row.get("origin", "hand"),
        )


def score(posts: Sequence[LabelledPost], analyser: Analyser) -> Score:
    result = Score()
    for post in posts:
        analysis = analyser.analyse(post.text)
        got = analysis.label
        result.posts += 1
        for lang in (post.lang, ALL):
            for label in LABELS:
                _tally(result.counts(lang, label), got == label, post.label == label)
            _tally(
                result.counts(lang, "complaining"),
                got in COMPLAINING,
                post.label in COMPLAINING,
            )
        if got != post.label:
            result.errors.append((post, got))
        found = set(analysis.services)
        wanted = set(post.services)
        result.services.tp += len(found & wanted)
        result.services.fp += len(found - wanted)
        result.services.fn += len(wanted - found)
        if analysis.language == post.lang.split("-", 1)[0]:
            result.language_right += 1
    return result


def _tally(counts: Counts, got: bool, wanted: bool) -> None:
    if got and wanted:
        counts.tp += 1
    elif got:
        counts.fp += 1
    elif wanted:
        counts.fn += 1


def summary(result: Score) -> str:
    both = result.counts(ALL, "complaining")
    return (
        f"complaint detection (complaint+question vs rest): P {both.precision:.3f} "
        f"R {both.recall:.3f} F1 {both.f1:.3f}; services found: P {result.services.precision:.3f} "
        f"R {result.services.recall:.3f}; language right {result.language_right}/{result.posts}"
    )
