"""Scores for counts: how far an observed count sits above its expected level, in [0, 1].

Counts are compared on the Anscombe scale, 2*sqrt(x + 3/8), where a Poisson count has a
variance close to 1 whatever its mean: the same rule then fits a service with two reports an
hour and one with thousands a minute. Extra variance beyond Poisson (a baseline that is a bit
off, bursty reporting) is learnt per series as a dispersion factor and divides the distance.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def anscombe(x: FloatArray) -> FloatArray:
    """Variance-stabilising transform of Poisson counts (variance ~1 at every mean)."""
    return 2.0 * np.sqrt(np.maximum(x, 0.0) + 0.375)


def anscombe_inverse(a: FloatArray) -> FloatArray:
    """The count whose Anscombe value is `a` (floored at zero)."""
    return np.maximum((np.maximum(a, 0.0) / 2.0) ** 2 - 0.375, 0.0)


def excess_z(observed: FloatArray, expected: FloatArray, dispersion: FloatArray) -> FloatArray:
    """One-sided standardised excess: 0 when the count is at or below what is expected."""
    z = (anscombe(observed) - anscombe(expected)) / np.sqrt(dispersion)
    return np.maximum(z, 0.0)


def evidence_weight(observed: FloatArray, expected: FloatArray, min_excess: float) -> FloatArray:
    """Shrinks scores built on a handful of reports.

    An excess of `min_excess` counts halves the standardised distance; large excesses keep it
    whole. A quiet service getting three reports in a minute is unusual, but three people are
    not an outage.
    """
    excess = np.maximum(observed - expected, 0.0)
    return excess / (excess + min_excess)


def squash(z: FloatArray, z_half: float) -> FloatArray:
    """Maps a distance in [0, inf) to a score in [0, 1): z_half gives 0.5, 2*z_half gives 0.8."""
    z2 = np.square(np.maximum(z, 0.0))
    return z2 / (z2 + z_half * z_half)


def unsquash(score: float, z_half: float) -> float:
    """The distance that `squash` maps to `score` (for choosing thresholds in z terms)."""
    if not 0.0 <= score < 1.0:
        raise ValueError("score must be in [0, 1)")
    return float(z_half * np.sqrt(score / (1.0 - score)))
