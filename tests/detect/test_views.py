from __future__ import annotations

import inspect

import numpy as np
import pytest

from rasd.detect.multiview import MultiViewDetector
from rasd.detect.views import ViewBank


def _series(n: int = 800, k: int = 3, seed: int = 2) -> np.ndarray:
    """k series of 15-minute values with a daily rhythm and their own noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    base = 50 + 10 * np.sin(2 * np.pi * t / 96)
    return np.stack([base * (1 + 0.2 * j) + rng.normal(0, 1 + j, n) for j in range(k)])


def _slots(bank: ViewBank, n: int) -> np.ndarray:
    return bank.slot_of((np.arange(n) * 900) % 86400)


def _run(bank: ViewBank, values: np.ndarray, start: int = 0) -> np.ndarray:
    n = values.shape[1]
    slots = _slots(bank, start + n)[start:]
    return np.stack([bank.step(values[:, t], slots[t]) for t in range(n)], axis=1)


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
    assert np.array_equal(_run(restored, values[:, 400:], start=400), whole[:, 400:])
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
    bank = _fresh(1)
    slots = _slots(bank, values.shape[1])
    skipped = [bank.step(values[:, t], slots[t])[0] for t in range(values.shape[1]) if t != 300]
    assert np.array_equal(np.delete(with_gap[0], 300), np.array(skipped))


def test_an_hour_unlike_itself_is_news_though_the_value_is_not() -> None:
    # Three weeks of a strong daily rhythm, then its low hours at the high level: no value
    # outside the range seen, yet unusual for the hour.
    n = 96 * 21
    values = _series(n=n, k=1, seed=5)
    night = np.arange(n - 96 + 68, n - 96 + 76)  # 17:00-19:00 of the last day, the low
    values[0, night] = 58.0
    assert values[0, : night[0]].max() > 58.0
    scores = _run(_fresh(1), values)
    assert scores[0, night].max() > 0.5
    assert scores[0, 96 * 14 : night[0]].max() < scores[0, night].max()


def test_one_event_raises_one_alarm() -> None:
    values = _series(k=1)
    values[0, 500] += 200.0
    values[0, 520] += 150.0  # a smaller echo of the same event, held down
    scores = _run(_fresh(1), values)
    assert scores[0, 500] > 0.9 and scores[0, 520] == 0.0


def test_a_series_that_keeps_alarming_is_heard_less_each_time() -> None:
    values = _series(k=1)
    for t, extra in ((300, 60.0), (420, 120.0), (540, 240.0)):
        values[0, t] += extra
    plain = _run(_fresh(1, chatter=0.0), values)[0]
    heard = _run(_fresh(1, chatter=0.5), values)[0]
    first = int(np.flatnonzero(plain)[0])
    assert heard[first] == plain[first]  # the first alarm keeps its weight
    assert 0.0 < heard[420] < plain[420] and 0.0 < heard[540] < plain[540]
    assert heard[540] / plain[540] < heard[420] / plain[420] < 1.0


def test_a_state_saved_before_the_chatter_was_kept_starts_it_at_none() -> None:
    values = _series()
    first = _fresh(3)
    _run(first, values[:, :400])
    old = {k: v.copy() for k, v in first.state().items() if k != "chatter"}
    restored = ViewBank(**first.config())
    restored.load_state(old)
    assert not restored.state()["chatter"].any()
    assert restored.state()["mid"].tolist() == first.state()["mid"].tolist()


def test_a_state_that_kept_ranges_as_top_and_bottom_restores() -> None:
    values = _series()
    values[1, 600] += 80.0
    values[2, :60] = np.nan  # nothing yet from this one at the save: no range, no profile
    whole = _run(_fresh(3), values)
    first = _fresh(3)
    _run(first, values[:, :50])
    # the layout saved before: top and bottom in float64, flags for ranges and slots seen
    now = first.state()
    old = {k: v.copy() for k, v in now.items() if k not in ("mid", "half")}
    ranged = np.isfinite(now["half"])
    old["hi"] = np.where(ranged, now["mid"] + now["half"], 0.0)
    old["lo"] = np.where(ranged, now["mid"] - now["half"], 0.0)
    old["ranged"] = ranged
    old["profile_seen"] = np.isfinite(now["profile"])
    old["profile"] = np.nan_to_num(now["profile"], nan=0.0)
    old["smooth"] = now["smooth"].astype(np.float64)
    assert not old["profile_seen"].all() and not old["ranged"][2].any()
    restored = ViewBank(**first.config())
    restored.load_state(old)
    assert np.array_equal(_run(restored, values[:, 50:], start=50), whole[:, 50:])


def test_a_range_far_from_zero_still_shrinks() -> None:
    # A float32 top and bottom near a million cannot move by the tiny step of a shrink.
    bank = _fresh(1, range_halflife=100.0)
    rng = np.random.default_rng(4)
    values = 1e6 + np.concatenate([rng.normal(0.0, 10.0, 300), np.zeros(1000)])[None, :]
    level = 2  # the view of the smoothed value itself, the one whose range is near a million
    _run(bank, values[:, :300])
    assert bank.state()["half"][0, level] > 1.0
    _run(bank, values[:, 300:], start=300)
    # what is left is the float32 resolution of the smoothed value near a million
    assert bank.state()["half"][0, level] < 0.5
    assert abs(bank.state()["mid"][0, level] - 1e6) < 5.0


def test_a_value_beyond_float32_is_no_value() -> None:
    values = _series(k=1)
    plain = _run(_fresh(1), values)
    values[0, 300] = 1e35
    huge = _run(_fresh(1), values)
    assert huge[0, 300] == 0.0
    assert np.array_equal(np.delete(huge[0], 300)[:299], plain[0, :299])
    assert np.isfinite(_fresh(1).state()["mid"]).all()


def test_state_is_small_and_checked() -> None:
    bank = _fresh(1000)
    _run(bank, np.repeat(_series(n=50, k=1), 1000, axis=0))
    assert bank.nbytes_per_series() <= 512
    state = bank.state()
    state["profile"] = state["profile"][:, :2]
    with pytest.raises(ValueError, match="profile"):
        ViewBank(**bank.config()).load_state(state)
    with pytest.raises(ValueError):
        bank.step(np.zeros(3), 0)
    with pytest.raises(ValueError, match="slots"):
        bank.step(np.zeros(1000), 24)


def test_a_long_series_counts_the_same_step_past_its_range_for_more() -> None:
    def last_score(n: int, gain: float) -> float:
        # a saw-tooth in [0, 0.9], then one value a little past it
        bank = _fresh(1, slots=1, long_after=500.0, long_gain=gain, chatter=0.0)
        values = (np.arange(n) % 10) / 10.0
        values[-1] = 1.0
        return float(_run(bank, values[None, :])[0, -1])

    # before 500 values the gain changes nothing; after 2,000 it doubles the excess
    assert last_score(301, 0.5) == last_score(301, 0.0) > 0
    assert last_score(2001, 0.5) > 2 * last_score(2001, 0.0) > 0
    with pytest.raises(ValueError):
        ViewBank(long_after=0.0)


def test_a_change_of_shape_inside_the_range_is_seen_by_the_shape_view_alone() -> None:
    # a steady wave that goes flat at its middle for a while: no value leaves any range
    rng = np.random.default_rng(0)
    t = np.arange(3000)
    values = 50 + 5 * np.sin(2 * np.pi * t / 48) + rng.normal(0, 0.2, t.size)
    values[2500:2560] = 50 + rng.normal(0, 0.2, 60)
    shapes = _run(_fresh(1, slots=1), values[None, :])[0]
    ranges = _run(_fresh(1, slots=1, shape_window=0), values[None, :])[0]
    assert not ranges[2500:2570].any()
    assert shapes[2500:2570].max() > 0.3 > 5 * shapes[:2500].max()
    assert _fresh(1).state()["half"].shape == (1, 4)


def test_a_state_saved_before_the_shape_view_starts_that_view_from_nothing() -> None:
    values = _series()
    old_bank = _fresh(3, shape_window=0)
    _run(old_bank, values[:, :400])
    old = {k: v.copy() for k, v in old_bank.state().items()}
    assert "window" not in old and old["half"].shape == (3, 3)
    restored = ViewBank(**{**old_bank.config(), "shape_window": 8})
    restored.load_state(old)
    now = restored.state()
    assert np.array_equal(now["mid"][:, :3], old["mid"]) and np.isnan(now["half"][:, 3]).all()
    assert not now["window"].any() and np.isnan(now["usual_distance"]).all()
    # the range views go on as before; the shape view learns from here on
    fresh = _run(restored, values[:, 400:], start=400)
    assert np.isfinite(fresh).all() and np.isfinite(restored.state()["usual_distance"]).all()


def test_the_shape_view_is_silent_until_its_own_warmup() -> None:
    # the same flat middle as above, early: the usual shapes are not learnt yet
    rng = np.random.default_rng(0)
    t = np.arange(1200)
    values = 50 + 5 * np.sin(2 * np.pi * t / 48) + rng.normal(0, 0.2, t.size)
    values[400:460] = 50 + rng.normal(0, 0.2, 60)
    early = _run(_fresh(1, slots=1, shape_warmup=0), values[None, :])[0]
    assert early[400:470].max() > 0.3
    kept = _run(_fresh(1, slots=1), values[None, :])[0]
    ranges = _run(_fresh(1, slots=1, shape_window=0), values[None, :])[0]
    assert np.array_equal(kept[:600], ranges[:600])
    with pytest.raises(ValueError):
        ViewBank(shape_warmup=-1)


def test_the_single_series_detector_takes_the_banks_arguments_with_its_defaults() -> None:
    # written twice so that each constructor reads as its whole configuration; this keeps the
    # two from drifting apart
    def defaults(init: object) -> dict[str, object]:
        params = inspect.signature(init).parameters.values()  # type: ignore[arg-type]
        return {p.name: p.default for p in params if p.name != "self"}

    assert defaults(MultiViewDetector.__init__) == defaults(ViewBank.__init__)
    assert MultiViewDetector().params() == ViewBank().config()
