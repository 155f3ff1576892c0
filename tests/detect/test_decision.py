from __future__ import annotations

import numpy as np
import pytest

from rasd.detect import LevelFilter


def _run(f: LevelFilter, scores: list[float]) -> list[int]:
    return [int(f.step(np.array([s]))[0]) for s in scores]


def test_one_noisy_minute_flips_nothing() -> None:
    f = LevelFilter(possible=0.5, detected=0.75, persist=3, clear=2)
    assert _run(f, [0.1, 0.99, 0.1, 0.99, 0.1]) == [0, 0, 0, 0, 0]


def test_levels_rise_with_persistence_and_fall_one_step_at_a_time() -> None:
    f = LevelFilter(possible=0.5, detected=0.75, persist=2, clear=2, hysteresis=0.1)
    levels = _run(f, [0.6, 0.6, 0.9, 0.9, 0.7, 0.7, 0.0, 0.0, 0.0, 0.0])
    assert levels == [0, 1, 1, 2, 2, 2, 2, 1, 1, 0]


def test_hysteresis_holds_a_level_just_below_its_threshold() -> None:
    f = LevelFilter(possible=0.5, detected=0.75, persist=1, clear=1, hysteresis=0.1)
    assert _run(f, [0.8, 0.7, 0.7, 0.6]) == [2, 2, 2, 1]


def test_works_on_many_series_and_grows() -> None:
    f = LevelFilter(persist=1)
    assert f.step(np.array([0.9, 0.1])).tolist() == [2, 0]
    assert f.step(np.array([0.9, 0.1, 0.6])).tolist() == [2, 0, 1]
    with pytest.raises(ValueError):
        f.step(np.array([0.9]))


def test_state_round_trip_continues_identically() -> None:
    a = LevelFilter(persist=2)
    a.step(np.array([0.9, 0.6]))
    b = LevelFilter(persist=2)
    b.load_state(a.state())
    assert a.step(np.array([0.9, 0.6])).tolist() == b.step(np.array([0.9, 0.6])).tolist() == [2, 1]


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError):
        LevelFilter(possible=0.8, detected=0.5)


def test_each_level_has_one_status_code_and_back() -> None:
    from rasd.detect.decision import Level, Status, status_of

    assert [Level(s.level).status for s in Status] == list(Status)
    codes = ["ok", "possible_problems", "problems_detected"]
    assert [str(level.status) for level in Level] == codes
    assert status_of(-1) is Status.OK and status_of(7) is Status.DETECTED


def test_the_api_s_alert_levels_are_the_status_codes() -> None:
    from typing import get_args

    from rasd.api.subscribe import SubscriptionOut
    from rasd.detect.decision import Status
    from rasd.http.asking import SubscribeIn
    from rasd.notify.subscriptions import LEVELS

    alerting = {str(Status.POSSIBLE), str(Status.DETECTED)}
    for model in (SubscribeIn, SubscriptionOut):
        assert set(get_args(model.model_fields["min_level"].annotation)) == alerting
    assert set(LEVELS) == alerting
