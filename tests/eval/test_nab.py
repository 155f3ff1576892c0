from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from rasd.cli import app
from rasd.detect.multiview import MultiViewDetector
from rasd.errors import InvalidInput
from rasd.eval import nab, nab_folds
from rasd.eval.nab import sampling_interval

STANDARD = nab.Profile("standard", 1.0, 0.11, 1.0)


def test_scaled_sigmoid_matches_the_published_shape() -> None:
    assert nab.scaled_sigmoid(0.0) == 0.0
    assert nab.scaled_sigmoid(-1.0) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert nab.scaled_sigmoid(3.5) == -1.0
    assert nab.probation_length(1000) == 150 and nab.probation_length(10_000) == 750


def test_sweep_weights_inside_after_and_before_windows() -> None:
    w = nab.sweep_weights(20, [(10, 13)], STANDARD)
    assert w[0] == -0.11  # before any window
    assert w[10] == pytest.approx(1.0)  # earliest detection: full credit
    assert w[10] > w[12] > 0  # later is worth less
    assert w[14] == pytest.approx(0.11 * nab.scaled_sigmoid(1 / 3))  # just after: mild penalty
    assert w[19] < w[14] < 0


def _file(n: int, windows: list[tuple[int, int]], name: str = "f.csv") -> nab.NabFile:
    start = datetime(2014, 4, 1, tzinfo=UTC)
    times = [start + timedelta(minutes=5 * i) for i in range(n)]
    return nab.NabFile(name, times, np.zeros(n), windows)


def test_perfect_null_and_threshold_sweep() -> None:
    f = _file(100, [(50, 59)])
    profiles = [STANDARD]
    perfect = np.zeros(100)
    perfect[50] = 1.0
    assert nab.score_corpus([f], [perfect], profiles).normalised["standard"] == pytest.approx(100)
    assert nab.score_corpus([f], [np.zeros(100)], profiles).normalised["standard"] == 0.0
    # A false alarm scoring above the true one: the sweep picks the threshold that skips it
    # only when that pays (here it costs 0.11 for a window worth 1).
    noisy = perfect * 0.5
    noisy[30] = 0.9
    res = nab.score_corpus([f], [noisy], profiles)
    assert res.thresholds["standard"] == 0.5
    assert res.raw["standard"] == pytest.approx(1.0 - 0.11)
    assert res.files[0].tp["standard"] == 1 and res.files[0].fp["standard"] == 1


def test_probation_rows_are_not_scored() -> None:
    f = _file(100, [(50, 59)])
    early = np.zeros(100)
    early[[5, 55]] = 1.0  # row 5 is in the probation period (15 rows)
    res = nab.score_corpus([f], [early], [STANDARD])
    assert res.files[0].fp["standard"] == 0


def _corpus(root: Path) -> None:
    (root / "data" / "cat").mkdir(parents=True)
    rng = np.random.default_rng(0)
    start = datetime(2014, 4, 1)
    lines = ["timestamp,value"]
    for i in range(400):
        value = 10 + rng.normal() + (50 if 300 <= i < 305 else 0)
        lines.append(f"{start + timedelta(minutes=5 * i):%Y-%m-%d %H:%M:%S},{value}")
    (root / "data" / "cat" / "one.csv").write_text("\n".join(lines) + "\n")
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    window = [
        (start + timedelta(minutes=5 * 290)).strftime(fmt),
        (start + timedelta(minutes=5 * 320)).strftime(fmt),
    ]
    (root / "windows.json").write_text(json.dumps({"cat/one.csv": [window]}))
    costs = {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0}
    profiles = {name: {"CostMatrix": dict(costs)} for name in nab.PROFILE_NAMES}
    profiles["reward_low_FN_rate"]["CostMatrix"]["fnWeight"] = 2.0
    (root / "profiles.json").write_text(json.dumps(profiles))


def test_load_corpus_maps_windows_to_rows(tmp_path: Path) -> None:
    _corpus(tmp_path)
    (f,) = nab.load_corpus(tmp_path)
    assert f.name == "cat/one.csv" and len(f) == 400 and f.windows == [(290, 320)]
    assert f.timestamps[0].tzinfo is UTC


def test_eval_nab_command_prints_scores_beside_published(tmp_path: Path) -> None:
    _corpus(tmp_path)
    plot = tmp_path / "families.png"
    args = ["eval", "nab", str(tmp_path), "--detector", "novelty", "--plot", str(plot)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Numenta HTM" in result.output and "rasd novelty" in result.output
    # The spike (row 300 of the window 290..320) is caught as it starts, and nothing else.
    caught = nab.scaled_sigmoid(-21 / 31) / nab.scaled_sigmoid(-1.0)
    assert f"{100 * (caught + 1) / 2:.1f}" in result.output


def test_eval_nab_views_prints_folds_and_reuses_its_cache(tmp_path: Path) -> None:
    _corpus(tmp_path)
    (tmp_path / "data" / "other").mkdir()
    one = (tmp_path / "data" / "cat" / "one.csv").read_text()
    (tmp_path / "data" / "other" / "two.csv").write_text(one)
    labels = json.loads((tmp_path / "windows.json").read_text())
    labels["other/two.csv"] = labels["cat/one.csv"]
    (tmp_path / "windows.json").write_text(json.dumps(labels))
    cache = tmp_path / "cache"
    args = ["eval", "nab", str(tmp_path), "--plot", str(tmp_path / "p.png"), "--cache", str(cache)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Leave one family out" in first.output and "rasd views" in first.output
    kept = sorted(cache.iterdir())
    # the default parameter set is one of the candidates: one file each
    assert len(kept) == len(nab_folds.CANDIDATES)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and sorted(cache.iterdir()) == kept
    assert again.output == first.output


def test_run_views_equals_the_single_series_detector(tmp_path: Path) -> None:
    _corpus(tmp_path)
    (f,) = nab.load_corpus(tmp_path)
    short = nab.NabFile("cut.csv", f.timestamps[:250], f.values[:250].copy(), [])
    together = nab.run_views([f, short], nab_folds.full_config({}))
    assert np.array_equal(together[0], nab.run_detector(f, MultiViewDetector))
    assert np.array_equal(together[1], nab.run_detector(short, MultiViewDetector))


def test_vectorised_sweep_equals_trying_every_threshold() -> None:
    rng = np.random.default_rng(4)
    for _ in range(50):
        f = _file(120, [(40, 47), (80, 95)])
        scores = rng.choice([0.0, 0.2, 0.5, 0.8, 1.0], size=120)
        res = nab.score_corpus([f], [scores], [STANDARD])
        brute = max(
            [-2.0]
            + [
                nab.score_at([f], [scores], [STANDARD], {"standard": t})[0].raw["standard"]
                for t in np.unique(scores[f.probation :])
            ]
        )
        assert res.raw["standard"] == pytest.approx(brute)


def test_detect_series_writes_one_score_per_row(tmp_path: Path) -> None:
    _corpus(tmp_path)
    out = tmp_path / "out.csv"
    src = tmp_path / "data" / "cat" / "one.csv"
    result = CliRunner().invoke(app, ["detect-series", str(src), str(out)])
    assert result.exit_code == 0, result.output
    assert "0:05:00" in result.output  # the sampling interval it found
    rows = out.read_text().splitlines()
    assert rows[0] == "timestamp,value,anomaly_score" and len(rows) == 401
    scores = [float(r.split(",")[2]) for r in rows[1:]]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert max(scores) == scores[300]
    assert rows[1].split(",")[:2] == src.read_text().splitlines()[1].split(",")


def test_detect_series_refuses_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time,v\n2014-01-01 00:00:00,1\n")
    result = CliRunner().invoke(app, ["detect-series", str(bad), str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "header" in result.output
    result = CliRunner().invoke(app, ["detect-series", str(bad), "o.csv", "-d", "nope"])
    assert result.exit_code != 0


def test_sampling_interval_is_the_median_and_needs_order() -> None:
    t0 = datetime(2014, 1, 1, tzinfo=UTC)
    times = [t0 + timedelta(minutes=m) for m in (0, 5, 10, 15, 40)]
    assert sampling_interval(times) == timedelta(minutes=5)
    with pytest.raises(InvalidInput):
        sampling_interval([t0, t0])


def test_a_fold_keeps_the_thresholds_chosen_without_its_family_and_its_own() -> None:
    # Family a's window opens with a weak alarm (0.3) and holds a false one at 0.6; family b
    # has a strong true alarm (0.9) and a false one at 0.4. Without a, the sweep keeps only
    # b's true alarm; a alone would rather keep its weak true alarm and pay the false one.
    a = _file(200, [(100, 120)], "a/one.csv")
    b = _file(200, [(100, 120)], "b/one.csv")
    sa, sb = np.zeros(200), np.zeros(200)
    sa[102], sa[60] = 0.3, 0.6
    sb[101], sb[60] = 0.9, 0.4
    files, runs = [a, b], [[sa, sb]]
    saved = nab_folds.CANDIDATES[:]
    nab_folds.CANDIDATES[:] = [{}]
    try:
        fold_a, fold_b = nab_folds.folds(files, runs, [STANDARD])
    finally:
        nab_folds.CANDIDATES[:] = saved
    assert fold_a.family == "a" and fold_a.thresholds["standard"] == 0.9
    assert fold_a.own["standard"] == 0.3
    assert fold_a.held_out.scores["standard"] == 0.0  # nothing passes 0.9 in a: the null
    assert fold_b.thresholds["standard"] == 0.3 and fold_b.own["standard"] == 0.9


def test_a_tie_between_candidates_keeps_the_one_nearest_the_defaults() -> None:
    a = _file(200, [(100, 120)], "a/one.csv")
    b = _file(200, [(100, 120)], "b/one.csv")
    sa, sb = np.zeros(200), np.zeros(200)
    sa[102], sb[101] = 0.5, 0.9
    saved = nab_folds.CANDIDATES[:]
    # the first candidate moves the length gain; on these files it changes nothing
    nab_folds.CANDIDATES[:] = [{"long_gain": 0.0}, {}]
    try:
        k, _ = nab_folds.choose([a, b], [[sa, sb], [sa, sb]], [STANDARD], [0, 1])
        fold_a, _ = nab_folds.folds([a, b], [[sa, sb], [sa, sb]], [STANDARD])
    finally:
        nab_folds.CANDIDATES[:] = saved
    assert k == 1 and fold_a.chosen == {} and fold_a.tied == 1
    assert nab_folds.departures({"long_gain": 0.0}) == 1 and nab_folds.departures({}) == 0
