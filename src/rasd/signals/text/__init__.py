"""Text of public posts: normalisation, alias matching, classification, language."""

from rasd.signals.text.analysis import (
    Analyser,
    PostAnalysis,
    analyse,
    classify,
    default_analyser,
    default_lexicon,
)
from rasd.signals.text.classifier import COMPLAINING, LABELS, Label
from rasd.signals.text.lexicon import Lexicon
from rasd.signals.text.matcher import AliasEntry, AliasMatcher, Mention
from rasd.signals.text.normalise import normalise

__all__ = [
    "COMPLAINING",
    "LABELS",
    "AliasEntry",
    "AliasMatcher",
    "Analyser",
    "Label",
    "Lexicon",
    "Mention",
    "PostAnalysis",
    "analyse",
    "classify",
    "default_analyser",
    "default_lexicon",
    "normalise",
]
