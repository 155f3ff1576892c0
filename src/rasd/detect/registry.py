"""The detectors Rasd knows, by name: what the shared checks, the CLI and the NAB run use.

Every entry is a factory taking only `seed`; the rest of each detector's configuration is its
defaults, one parameter set for every series.
"""

from __future__ import annotations

from collections.abc import Callable

from rasd.detect.base import Detector
from rasd.detect.multiview import MultiViewDetector
from rasd.detect.novelty import RangeNoveltyDetector
from rasd.detect.seasonal import SeasonalCountDetector
from rasd.detect.surprise import SurpriseDetector
from rasd.detect.zscore import RobustZDetector

DetectorFactory = Callable[..., Detector]

DETECTORS: dict[str, DetectorFactory] = {
    "seasonal": SeasonalCountDetector,
    "novelty": RangeNoveltyDetector,
    "surprise": SurpriseDetector,
    "zscore": RobustZDetector,
    "views": MultiViewDetector,
}

# What `rasd detect-series` and `rasd eval nab` run unless told otherwise: the best of these
# on the labelled NAB corpus (see `rasd eval nab`).
DEFAULT_SERIES_DETECTOR = "views"


def names() -> list[str]:
    return list(DETECTORS)


def make(name: str, seed: int = 0) -> Detector:
    """A fresh detector registered as `name`."""
    try:
        factory = DETECTORS[name]
    except KeyError:
        known = ", ".join(DETECTORS)
        raise KeyError(f"unknown detector {name!r}; known: {known}") from None
    return factory(seed=seed)
