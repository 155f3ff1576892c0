"""Problem-type mixes: which button people press, per service, and during an outage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FALLBACK_PROBLEM = "app"


def catalog_weights(problems: Sequence[str]) -> dict[str, float]:
    """A service's usual mix: its problem types are listed most common first."""
    if not problems:
        return {FALLBACK_PROBLEM: 1.0}
    return {p: 1.0 / (k + 1) ** 1.3 for k, p in enumerate(problems)}


class Mixes:
    """A growing table of mixes over one shared list of problem types; draws are vectorised."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._index: dict[str, int] = {}
        self._rows: list[dict[int, float]] = []
        self._cdf: FloatArray | None = None

    def add(self, weights: Mapping[str, float]) -> int:
        total = sum(weights.values())
        if total <= 0:
            raise ValueError("a mix needs a positive weight")
        row: dict[int, float] = {}
        for problem, weight in weights.items():
            if problem not in self._index:
                self._index[problem] = len(self.problems)
                self.problems.append(problem)
            row[self._index[problem]] = weight / total
        self._rows.append(row)
        self._cdf = None
        return len(self._rows) - 1

    def within(self, weights: Mapping[str, float], allowed: int) -> int:
        """`weights` kept to the problem types of mix `allowed` (a service's own types): an
        event's mix names types some of its services do not offer. None left: `allowed`."""
        offered = {self.problems[p] for p in self._rows[allowed]}
        kept = {p: w for p, w in weights.items() if p in offered and w > 0}
        return self.add(kept) if kept else allowed

    def share(self, mix: int, problem: str) -> float:
        return self._rows[mix].get(self._index.get(problem, -1), 0.0)

    def _flat_cdf(self) -> FloatArray:
        if self._cdf is None:
            width = len(self.problems)
            table = np.zeros((len(self._rows), width), dtype=np.float64)
            for m, row in enumerate(self._rows):
                for p, w in row.items():
                    table[m, p] = w
            within = np.cumsum(table, axis=1)
            within[:, -1] = 1.0
            self._cdf = (np.arange(len(self._rows))[:, None] + within).ravel()
        return self._cdf

    def draw(self, mix: IntArray, u: FloatArray) -> npt.NDArray[np.int16]:
        """Problem index for each report, given its mix and a uniform number in [0, 1)."""
        width = len(self.problems)
        found = np.searchsorted(self._flat_cdf(), mix + u, side="right")
        return (found - mix * width).astype(np.int16)
