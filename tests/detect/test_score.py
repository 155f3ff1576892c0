from __future__ import annotations

import numpy as np
import pytest

from rasd.detect.score import (
    anscombe,
    anscombe_inverse,
    evidence_weight,
    excess_z,
    squash,
    unsquash,
)


def test_anscombe_stabilises_poisson_variance() -> None:
    rng = np.random.default_rng(0)
    for mean in (5.0, 50.0, 5000.0):
        sd = anscombe(rng.poisson(mean, 20000).astype(float)).std()
        assert sd == pytest.approx(1.0, abs=0.05)


def test_anscombe_inverse() -> None:
    x = np.array([0.0, 1.0, 10.0, 1234.0])
    assert np.allclose(anscombe_inverse(anscombe(x)), x)


def test_excess_is_one_sided() -> None:
    z = excess_z(np.array([0.0, 100.0]), np.array([50.0, 50.0]), np.ones(2))
    assert z[0] == 0.0 and z[1] > 5


def test_a_thirty_percent_rise_is_large_for_a_giant_and_small_for_a_quiet_series() -> None:
    giant = excess_z(np.array([3900.0]), np.array([3000.0]), np.ones(1))[0]
    quiet = excess_z(np.array([1.3]), np.array([1.0]), np.ones(1))[0]
    assert giant > 10 and quiet < 0.5


def test_a_few_reports_are_weak_evidence() -> None:
    w = evidence_weight(np.array([3.0, 1003.0]), np.array([0.0, 3.0]), 3.0)
    assert w[0] == pytest.approx(0.5) and w[1] > 0.99


def test_squash_range_and_inverse() -> None:
    s = squash(np.array([0.0, 4.0, 8.0, 1e6]), 4.0)
    assert s.tolist()[:3] == pytest.approx([0.0, 0.5, 0.8]) and s[3] < 1.0
    assert unsquash(0.8, 4.0) == pytest.approx(8.0)
