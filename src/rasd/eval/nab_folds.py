"""How well the `views` detector's one parameter set generalises across NAB families.

The parameter set is chosen from a small fixed list of candidates (`CANDIDATES`: the shape
view on or off, and four settings that matter, the memory of a range, the memory that holds
a view's alarms down, the weight of a series' recent alarms against a new one and the weight
a long series gives an excess, at two, three, two and two values; everything else is the
detector's defaults) by the mean of the three profiles' normalised scores. Where candidates
tie exactly (the families kept cannot tell them apart: the length gain, say, changes nothing
on files shorter than `long_after`), the one that moves the fewest settings from the
detector's defaults is kept, not the first in the list, and the fold says how many tied.
Leave one family out: the choice, and each profile's threshold, are made on the other
families only, then scored on the family left out.
A fold far below the others means the choice fits some families at the cost of another.
Each fold also keeps the thresholds it used and those the family would choose alone with
the same parameter set: when the parameter set is the same everywhere, a held-out score
below the in-sample one comes from the threshold alone, and the two say which way.

A family's normalised score uses its own windows: 100 (raw - null) / (perfect - null). A
family without windows (artificialNoAnomaly) has no normalised score; its raw score (the cost
of its false alarms, 0 at best) is shown instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rasd.detect.views import ViewBank
from rasd.eval.nab import FileResult, NabFile, Profile, score_at, score_corpus

FloatArray = npt.NDArray[np.float64]

CANDIDATES: list[dict[str, Any]] = [
    {
        "shape_window": window,
        "range_halflife": memory,
        "view_quiet": quiet,
        "chatter": chatter,
        "long_gain": gain,
    }
    for window in (0, 8)
    for memory in (3000.0, 10000.0)
    for quiet in (200.0, 400.0, 800.0)
    for chatter in (0.0, 0.5)
    for gain in (0.0, 0.5)
]

Runner = Callable[[dict[str, Any]], list[FloatArray]]


def family(name: str) -> str:
    return name.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class FamilyScore:
    """One family's figures per profile: normalised, or raw where it has no window."""

    family: str
    windows: int
    scores: dict[str, float]

    def cell(self, profile: str) -> str:
        value = self.scores[profile]
        return f"{value:.1f}" if self.windows else f"{value:+.2f} raw"


@dataclass(frozen=True, slots=True)
class Fold:
    family: str
    chosen: dict[str, Any]
    held_out: FamilyScore
    thresholds: dict[str, float]  # per profile, chosen without the family
    own: dict[str, float]  # per profile, what the family alone would choose (same set)
    tied: int = 0  # other candidates that scored exactly as well without the family


def full_config(overrides: dict[str, Any]) -> dict[str, Any]:
    """A candidate as the whole constructor configuration of `ViewBank`."""
    config = ViewBank().config()
    config.update(overrides)
    return config


def family_scores(results: list[FileResult], profiles: list[Profile]) -> list[FamilyScore]:
    """Per family, from per-file results scored at the thresholds already chosen."""
    grouped: dict[str, list[FileResult]] = {}
    for r in results:
        grouped.setdefault(family(r.name), []).append(r)
    out = []
    for name, rs in grouped.items():
        windows = sum(r.windows for r in rs)
        scores = {}
        for p in profiles:
            raw = sum(r.raw[p.name] for r in rs)
            if windows:
                null, perfect = -p.fn * windows, p.tp * windows
                scores[p.name] = 100.0 * (raw - null) / (perfect - null)
            else:
                scores[p.name] = raw
        out.append(FamilyScore(name, windows, scores))
    return out


def _mean(normalised: dict[str, float]) -> float:
    return float(np.mean(list(normalised.values())))


def departures(overrides: dict[str, Any]) -> int:
    """How many settings a candidate moves from the detector's defaults."""
    defaults = ViewBank().config()
    return sum(1 for k, v in full_config(overrides).items() if defaults[k] != v)


def choose(
    files: list[NabFile], runs: list[list[FloatArray]], profiles: list[Profile], keep: list[int]
) -> tuple[int, dict[str, float]]:
    """The candidate with the best mean normalised score on the files `keep`, and its
    thresholds there (`choose_tied`)."""
    best, thresholds, _ = choose_tied(files, runs, profiles, keep)
    return best, thresholds


def choose_tied(
    files: list[NabFile], runs: list[list[FloatArray]], profiles: list[Profile], keep: list[int]
) -> tuple[int, dict[str, float], int]:
    """`choose`, and how many other candidates tied with it. Of tied candidates the one that
    moves the fewest settings from the defaults is kept (then the first); `runs[k]` are the
    scores of `CANDIDATES[k]`."""
    subset = [files[i] for i in keep]
    scored = []
    for k, scores in enumerate(runs):
        res = score_corpus(subset, [scores[i] for i in keep], profiles)
        scored.append((_mean(res.normalised), k, res.thresholds))
    top = max(value for value, _, _ in scored)
    tied = [(departures(CANDIDATES[k]), k, t) for value, k, t in scored if value == top]
    _, best, thresholds = min(tied, key=lambda c: (c[0], c[1]))
    return best, thresholds, len(tied) - 1


def folds(
    files: list[NabFile], runs: list[list[FloatArray]], profiles: list[Profile]
) -> list[Fold]:
    """Leave each family out in turn (module docstring); none with a single family."""
    out: list[Fold] = []
    names = sorted({family(f.name) for f in files})
    if len(names) < 2:
        return out
    for name in names:
        keep = [i for i, f in enumerate(files) if family(f.name) != name]
        left = [i for i, f in enumerate(files) if family(f.name) == name]
        k, thresholds, tied = choose_tied(files, runs, profiles, keep)
        results = score_at(
            [files[i] for i in left], [runs[k][i] for i in left], profiles, thresholds
        )
        (score,) = family_scores(results, profiles)
        own = score_corpus([files[i] for i in left], [runs[k][i] for i in left], profiles)
        out.append(Fold(name, CANDIDATES[k], score, thresholds, own.thresholds, tied))
    return out
