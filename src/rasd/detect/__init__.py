"""Detection: baselines, anomaly scores and the three-level decision.

Production steps a `SeriesBank` of every count series once a minute; `LevelFilter` turns any
scores into `Level`s. Single-series detectors (`Detector`) share one contract and are listed
in `rasd.detect.registry`.
"""

from rasd.detect.bank import SeriesBank, TickResult
from rasd.detect.base import Detector, Point
from rasd.detect.decision import Level, LevelFilter

__all__ = [
    "Detector",
    "Level",
    "LevelFilter",
    "Point",
    "SeriesBank",
    "TickResult",
]
