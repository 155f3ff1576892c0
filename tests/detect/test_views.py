from __future__ import annotations

import numpy as np
import pytest

from rasd.detect.views import ViewBank


def _series(n: int = 800, k: int = 3, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    base = 50 + 10 * np.sin(2 * np.pi * t / 96)
    return np.stack([base * (1 + 0.2 * j) + rng.normal(0, 1 + j, n) for j in range(k)])


def _run(bank: ViewBank, values: np.ndarray) -> np.ndarray:
    return np.stack([bank.step(values[:, t]) for t in range(values.shape[1])], axis=1)


def _fresh(n: int, **config: float) -> ViewBank:
    bank = ViewBank(**config)  # type: ignore[arg-type]
    bank.resize(n)
    return bank


def test_a_restored_bank_scores_as_one_that_never_stopped() -> None:
    values = _series()
    values[1, 600] += 80.0
    whole = _run(_fresh(3), values)
    first = _fresh(3)
    _run(first, values[:, :400])
    restored = ViewBank(**first.config())
    restored.load_state({k: v.copy() for k, v in first.state().items()})
    assert np.array_equal(_run(restored, values[:, 400:]), whole[:, 400:])
    assert whole[1, 600] > 0.5


def test_series_do_not_see_each_other() -> None:
    values = _series()
    alone = _run(_fresh(1), values[2:3])
    values[0] *= 100.0
    values[0, 500:] = np.nan
    assert np.array_equal(_run(_fresh(3), values)[2:3], alone)


def test_warmup_is_silent_and_nan_scores_nothing_and_teaches_nothing() -> None:
    values = _series(k=1)
    values[0, 20] = 1e6
    scores = _run(_fresh(1, warmup=150), values)
    assert not scores[0, :150].any()
    gappy = values.copy()
    gappy[0, 300] = np.nan
    with_gap = _run(_fresh(1), gappy)
    assert with_gap[0, 300] == 0.0
    skipped = _run(_fresh(1), np.delete(values, 300, axis=1))
    assert np.array_equal(np.delete(with_gap, 300, axis=1), skipped)


def test_one_event_raises_one_alarm() -> None:
    values = _series(k=1)
    values[0, 500] += 200.0
    values[0, 520] += 150.0  # a smaller echo of the same event, held down
    scores = _run(_fresh(1), values)
    assert scores[0, 500] > 0.9 and scores[0, 520] == 0.0


def test_state_is_small_and_checked() -> None:
    bank = _fresh(1000)
    _run(bank, np.repeat(_series(n=50, k=1), 1000, axis=0))
    assert bank.nbytes_per_series() <= 1024
    state = bank.state()
    state["steps"] = state["steps"][:, :2]
    with pytest.raises(ValueError, match="steps"):
        ViewBank(**bank.config()).load_state(state)
    with pytest.raises(ValueError):
        bank.step(np.zeros(3))
