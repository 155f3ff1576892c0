from __future__ import annotations

import numpy as np
import pytest

from rasd.detect import Level, SeriesBank
from rasd.detect.score import anscombe
from rasd.detect.views import ViewBank
from rasd.series import SeriesKey

START = 27_000_000  # a minute, 2021-05-03 00:00 UTC (a Monday)


def test_index_is_stable_and_grows() -> None:
    bank = SeriesBank()
    keys = [SeriesKey(f"s{i}", "reports") for i in range(100)]
    assert [bank.index(k) for k in keys] == list(range(100))
    assert bank.index(keys[5]) == 5 and len(bank) == 100 and bank.find(SeriesKey("x", "y")) is None


def test_cold_start_is_calm_and_sensible_within_the_hour() -> None:
    rng = np.random.default_rng(4)
    bank = SeriesBank()
    bank.index(SeriesKey("new", "reports"))
    for m in range(START, START + 60):
        res = bank.step(m, rng.poisson([20.0]).astype(float))
        assert res.level[0] == Level.OK
    assert res.expected[0] == pytest.approx(20.0, rel=0.25)
    scores = [bank.step(m, np.array([200.0])).score[0] for m in range(START + 60, START + 63)]
    assert min(scores) > 0.75


def test_bad_input_is_refused() -> None:
    bank = SeriesBank()
    bank.index(SeriesKey("a", "reports"))
    bank.step(10, np.array([1.0]))
    with pytest.raises(ValueError):
        bank.step(10, np.array([1.0]))  # not after the last minute
    with pytest.raises(ValueError):
        bank.step(11, np.array([1.0, 2.0]))
    with pytest.raises(ValueError):
        bank.step(12, np.array([-1.0]))


def test_memory_per_series_is_under_a_kilobyte() -> None:
    bank = SeriesBank()
    for i in range(1000):
        bank.index(SeriesKey(f"s{i}", "reports"))
    bank.step(0, np.zeros(1000))
    assert bank.nbytes_per_series() < 1024


def test_the_views_of_the_bank_are_the_detectors_views() -> None:
    rng = np.random.default_rng(3)
    bank = SeriesBank()
    for i in range(3):
        bank.index(SeriesKey(f"v{i}", "reports"))
    alone = ViewBank()
    alone.resize(3)
    start = 27_000_000
    for j in range(400):
        x = rng.poisson([2.0, 40.0, 900.0]).astype(np.float64)
        if j == 300:
            x[1] = 400.0
        got = bank.step(start + j, x).views
        want = alone.step(anscombe(x), alone.slot_of(((start + j) % 1440) * 60))
        assert np.array_equal(got, want), j


def test_views_learning_history_aside_learn_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    import rasd.detect.bank as bank_module

    rng = np.random.default_rng(3)
    history = rng.poisson(5.0, size=(6, 900)).astype(np.float64)
    after = rng.poisson(5.0, size=(40, 9)).astype(np.float64)
    banks, views = [], []
    for aside_at in (10**12, 0):
        monkeypatch.setattr(bank_module, "ASIDE_AT", aside_at)
        bank = SeriesBank()
        for i in range(8):
            bank.index(SeriesKey(f"s{i}", "reports", "*"))
        bank.warm(1000, history)
        # steps taken while the views may still learn aside, one with a series new since
        results = []
        for j, x in enumerate(after):
            if j == 20:
                bank.index(SeriesKey("s8", "reports", "*"))
            results.append(bank.step(1900 + j, x[: len(bank)]))
        views.append([r.views for r in results])
        banks.append(bank.state())
    for inline_views, aside_views in zip(*views, strict=True):
        np.testing.assert_array_equal(inline_views, aside_views)
    inline, aside = banks
    assert inline.keys() == aside.keys()
    for name in inline:
        np.testing.assert_array_equal(inline[name], aside[name], err_msg=name)


def _run_with_views_aside(
    monkeypatch: pytest.MonkeyPatch, aside_at: int, lose_at: int | None = None
) -> tuple[list[np.ndarray], list[np.ndarray], dict[str, np.ndarray]]:
    """Steps after a history, views read at once, and some read only at the end."""
    import rasd.detect.bank as bank_module

    monkeypatch.setattr(bank_module, "ASIDE_AT", aside_at)
    monkeypatch.setattr(bank_module, "_QUEUED_AT_MOST", 7)
    rng = np.random.default_rng(5)
    history = rng.poisson(4.0, size=(5, 300)).astype(np.float64)
    after = rng.poisson(4.0, size=(30, 7)).astype(np.float64)
    bank = SeriesBank()
    for i in range(6):
        bank.index(SeriesKey(f"s{i}", "reports", "*"))
    bank.warm(0, history)
    now, later = [], []
    for j, x in enumerate(after):
        if j == 12:
            bank.index(SeriesKey("s6", "reports", "*"))
        if j == lose_at:
            assert bank._aside is not None
            bank._aside._process.kill()
            bank._aside._process.join()
        result = bank.step(300 + j, x[: len(bank)])
        if j % 3:
            now.append(result.views)
        else:
            later.append(result)
    return now, [r.views for r in later], bank.state()


@pytest.mark.parametrize("lose_at", [None, 3, 20])
def test_views_in_their_own_process_score_and_learn_as_here(
    monkeypatch: pytest.MonkeyPatch, lose_at: int | None
) -> None:
    # every step sent over, copies asked for on the way (every 7 steps), scores read at once
    # and long after; and views whose process is lost learnt here again, the same
    here = _run_with_views_aside(monkeypatch, 10**12)
    aside = _run_with_views_aside(monkeypatch, 0, lose_at)
    for want, got in zip(here[:2], aside[:2], strict=True):
        assert len(want) == len(got)
        for a, b in zip(want, got, strict=True):
            np.testing.assert_array_equal(a, b)
    assert here[2].keys() == aside[2].keys()
    for name in here[2]:
        np.testing.assert_array_equal(here[2][name], aside[2][name], err_msg=name)


def test_views_learning_history_with_partial_series_match_a_step_each() -> None:
    rng = np.random.default_rng(4)
    bank, stepped = SeriesBank(), SeriesBank()
    for b in (bank, stepped):
        for i in range(5):
            b.index(SeriesKey(f"s{i}", "reports", "*"))
    history = rng.poisson(3.0, size=(3, 200)).astype(np.float64)
    bank.warm(0, history)
    for j in range(200):
        stepped.step(j, np.concatenate([history[:, j], np.zeros(2)]))
    warm_views = {k: v for k, v in bank.state().items() if k.startswith("views_")}
    step_views = {k: v for k, v in stepped.state().items() if k.startswith("views_")}
    for name in warm_views:
        np.testing.assert_array_equal(warm_views[name], step_views[name], err_msg=name)
