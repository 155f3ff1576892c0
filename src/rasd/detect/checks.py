"""The checks every registered detector must pass (the shared suite runs each on each).

Each check takes a factory `make(seed) -> Detector` and raises AssertionError with a reason.
The series they use are per-minute count-like streams with a daily rhythm, made from a seeded
generator, so they fit count detectors and general ones alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from rasd.detect.base import Detector, Point

Factory = Callable[[int], Detector]
FloatArray = npt.NDArray[np.float64]

_START = datetime(2021, 10, 1, tzinfo=UTC)
# Long enough for every detector's warm-up, short enough to keep the suite quick.
_LENGTH = 600


def series(n: int = _LENGTH, rate: float = 40.0, seed: int = 7) -> list[Point]:
    """Poisson counts around a daily rhythm, one per minute."""
    rng = np.random.default_rng(seed)
    minutes = np.arange(n)
    shape = 1.0 + 0.3 * np.sin(2 * np.pi * minutes / 1440.0)
    values = rng.poisson(rate * shape).astype(np.float64)
    return [Point(_START + timedelta(minutes=int(i)), float(v)) for i, v in enumerate(values)]


def run(detector: Detector, points: list[Point]) -> FloatArray:
    """Score-then-learn over `points`."""
    return np.array([detector.process_one(p) for p in points], dtype=np.float64)


def check_scores_in_range(make: Factory) -> None:
    """Finite scores in [0, 1], even for zeros, bursts, huge values and NaN."""
    points = series()
    odd = [0.0, 0.0, 1e9, 5.0, float("nan"), 1e-9, 300.0]
    for k, v in enumerate(odd):
        i = 300 + 20 * k
        points[i] = Point(points[i].when, v)
    scores = run(make(0), points)
    assert np.all(np.isfinite(scores)), "a score is not finite"
    assert scores.min() >= 0.0 and scores.max() <= 1.0, "a score is outside [0, 1]"


def check_no_lookahead(make: Factory) -> None:
    """Changing the future changes no past score."""
    points = series()
    cut = 450
    future = [Point(p.when, p.value * 10.0 + 100.0) for p in points[cut:]]
    a = run(make(0), points)
    b = run(make(0), points[:cut] + future)
    assert np.array_equal(a[:cut], b[:cut]), "past scores depend on future points"


def check_deterministic(make: Factory) -> None:
    """The same seed and the same points give the same scores."""
    points = series()
    assert np.array_equal(run(make(3), points), run(make(3), points)), "not reproducible"


def check_score_learns_nothing(make: Factory) -> None:
    """score_one does not change the detector: scoring twice gives the same answer."""
    points = series()
    d = make(0)
    run(d, points[:400])
    first = [d.score_one(p) for p in points[400:420]]
    again = [d.score_one(p) for p in points[400:420]]
    assert first == again, "score_one changed the state"


def check_spike_scores_higher(make: Factory) -> None:
    """A clear spike after a normal stretch scores above every normal point."""
    points = series()
    at = 500
    points[at] = Point(points[at].when, points[at].value * 8.0 + 200.0)
    scores = run(make(0), points)
    normal = scores[100:at]
    assert scores[at] > normal.max(), f"spike {scores[at]:.3f} <= normal {normal.max():.3f}"
    assert scores[at] >= 0.5, f"a clear spike scores only {scores[at]:.3f}"


def check_flat_series_low(make: Factory) -> None:
    """A constant series is never anomalous."""
    flat = [Point(_START + timedelta(minutes=i), 12.0) for i in range(_LENGTH)]
    scores = run(make(0), flat)
    assert scores.max() < 0.1, f"a flat series scores {scores.max():.3f}"


def check_cold_start_calm(make: Factory) -> None:
    """Ordinary data from the first point on does not explode while the detector is young:
    typical points stay low and none reaches the top of the scale."""
    scores = run(make(0), series(n=120, seed=11))
    assert np.median(scores) < 0.1, f"cold start: median score {np.median(scores):.3f}"
    assert scores.max() < 0.75, f"cold start scores {scores.max():.3f} on ordinary data"


def check_clone_is_fresh(make: Factory) -> None:
    """A clone of a trained detector behaves as a fresh one with the same configuration."""
    points = series()
    trained = make(5)
    run(trained, points[:300])
    clone = trained.clone()
    assert clone.params() == trained.params(), "clone has another configuration"
    assert np.array_equal(run(clone, points), run(make(5), points)), "clone is not fresh"


def check_params_round_trip(make: Factory) -> None:
    """The constructor arguments are the whole configuration, and include the seed."""
    d = make(9)
    params = d.params()
    assert params.get("seed") == 9, "the seed is not part of the configuration"
    assert type(d)(**params).params() == params, "params do not rebuild the detector"
    for value in params.values():
        assert not isinstance(value, float) or math.isfinite(value), "a parameter is not finite"


CHECKS: dict[str, Callable[[Factory], None]] = {
    "scores_in_range": check_scores_in_range,
    "no_lookahead": check_no_lookahead,
    "deterministic": check_deterministic,
    "score_learns_nothing": check_score_learns_nothing,
    "spike_scores_higher": check_spike_scores_higher,
    "flat_series_low": check_flat_series_low,
    "cold_start_calm": check_cold_start_calm,
    "clone_is_fresh": check_clone_is_fresh,
    "params_round_trip": check_params_round_trip,
}
