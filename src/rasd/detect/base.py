"""The contract every single-series detector follows, river-style.

- `score_one(x)` scores a point against what was learnt so far and changes nothing;
  `learn_one(x)` then learns it. Callers always score before they learn.
- The constructor's arguments are the whole configuration, kept as attributes of the same
  name, so `params()` and `clone()` can rebuild a fresh, identical detector.
- Randomness, if any, comes only from the `seed` argument.
- Scores are floats in [0, 1], higher meaning more anomalous.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, NamedTuple, Self


class Point(NamedTuple):
    """One observation of a series: when (UTC, timezone-aware) and its value."""

    when: datetime
    value: float


class Detector(ABC):
    """Base of the single-series detectors (see the module docstring)."""

    @abstractmethod
    def score_one(self, x: Point) -> float:
        """How anomalous `x` is given what was learnt so far, in [0, 1]; learns nothing."""

    @abstractmethod
    def learn_one(self, x: Point) -> None:
        """Learn `x` (after it was scored)."""

    def process_one(self, x: Point) -> float:
        """Score then learn: the usual way through a stream."""
        score = self.score_one(x)
        self.learn_one(x)
        return score

    def params(self) -> dict[str, Any]:
        """The constructor arguments of this detector, read back from its attributes."""
        names = [
            name
            for name, p in inspect.signature(type(self).__init__).parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        return {name: getattr(self, name) for name in names}

    def clone(self) -> Self:
        """A fresh detector with the same configuration and nothing learnt."""
        return type(self)(**self.params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"
