"""Scoring detectors the way the Numenta Anomaly Benchmark (NAB v1.1) does.

A corpus folder holds `data/<category>/<file>.csv` (`timestamp,value`), `windows.json`
(`"category/file.csv": [[start, end], ...]`) and `profiles.json` (cost weights). The rules:

- The first min(floor(0.15 N), 750) rows of a file (probation) are not scored.
- A row is a detection when its score >= the threshold; one threshold for the whole corpus,
  chosen by sweeping every distinct score for the best total, per profile.
- Inside a window only the earliest detection counts, worth tp * S(-(R - i + 1) / W) / S(-1);
  a window without one costs -fn. Outside windows each detection costs fp * S(|R' - i| / (W' - 1))
  from the end R' of the last window before it (S < 0 there), or -fp before any window.
- S(x) = 2 / (1 + e^(5x)) - 1, and -1 for x > 3.
- Normalised score = 100 (raw - null) / (perfect - null), perfect = tp * windows,
  null = -fn * windows.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from rasd.detect.base import Detector, Point
from rasd.detect.views import ViewBank
from rasd.errors import InvalidInput, field_error

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PROFILE_NAMES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")

# Published NAB v1.1 detectors on exactly the 41 files of the development corpus, per profile
# (standard, reward_low_FP_rate, reward_low_FN_rate). Source: each detector's published
# anomaly scores (results/<detector>/ of the NAB repository, numenta/NAB at ea702d7), scored
# with this module, the threshold optimised per profile over these 41 files as NAB's optimiser
# does. The standard figures are those of the corpus README; with NAB's own full-corpus
# thresholds (config/thresholds.json) this module gives NAB's per-file scores of those
# results to 1e-11.
PUBLISHED: dict[str, tuple[float, float, float]] = {
    "ARTime": (69.1, 59.6, 74.6),
    "Numenta HTM": (68.6, 62.2, 72.8),
    "CAD OSE": (63.8, 59.8, 67.6),
    "KNN CAD": (56.6, 44.7, 62.9),
    "Random Cut Forest": (52.6, 42.2, 60.1),
    "earthgecko Skyline": (49.4, 41.1, 53.7),
    "Relative Entropy": (47.3, 39.3, 51.8),
    "Twitter ADVec": (38.9, 28.1, 44.8),
    "Windowed Gaussian": (29.1, 14.8, 35.8),
}


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    tp: float
    fp: float
    fn: float


@dataclass(slots=True)
class NabFile:
    """One labelled series: rows, values and anomaly windows as inclusive row ranges."""

    name: str
    timestamps: list[datetime]
    values: FloatArray
    windows: list[tuple[int, int]]

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def probation(self) -> int:
        return probation_length(len(self))


@dataclass(slots=True)
class _Scored:
    """Per scored row (after probation) of one file: its sweep value and window id."""

    weight: FloatArray
    window: IntArray  # -1 outside windows, else a corpus-wide window id


@dataclass(slots=True)
class FileResult:
    name: str
    windows: int
    raw: dict[str, float] = field(default_factory=dict)
    tp: dict[str, int] = field(default_factory=dict)
    fp: dict[str, int] = field(default_factory=dict)

    def normalised(self, profile: Profile) -> float | None:
        """This file's share of the normalised score; None for a file without windows."""
        if self.windows == 0:
            return None
        null = -profile.fn * self.windows
        perfect = profile.tp * self.windows
        return 100.0 * (self.raw[profile.name] - null) / (perfect - null)


@dataclass(slots=True)
class CorpusResult:
    files: list[FileResult]
    thresholds: dict[str, float]
    raw: dict[str, float]
    normalised: dict[str, float]


def probation_length(n: int) -> int:
    return min(math.floor(0.15 * n), 750)


def scaled_sigmoid(x: float) -> float:
    if x > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def parse_timestamp(text: str) -> datetime:
    """NAB's "2014-04-01 00:00:00" (fractions and offsets allowed), read as UTC."""
    when = datetime.fromisoformat(text.strip())
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass(slots=True)
class SeriesFile:
    """A `timestamp,value` file as read: the original texts, and parsed times and values."""

    texts: list[tuple[str, str]]
    times: list[datetime]
    values: FloatArray


def read_series(path: Path) -> SeriesFile:
    """A `timestamp,value` CSV with a header line."""
    texts: list[tuple[str, str]] = []
    times: list[datetime] = []
    values: list[float] = []
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:2]] != ["timestamp", "value"]:
            raise InvalidInput(
                f"{path.name}: the first line must be the header timestamp,value",
                details=[field_error("header", "missing or wrong", value=header)],
            )
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                when, value = parse_timestamp(row[0]), float(row[1])
            except (ValueError, IndexError) as exc:
                raise InvalidInput(
                    f"{path.name}: line {line_no} is not timestamp,value",
                    details=[field_error("row", str(exc), line=line_no, value=row)],
                ) from exc
            texts.append((row[0], row[1]))
            times.append(when)
            values.append(value)
    return SeriesFile(texts, times, np.asarray(values, dtype=np.float64))


def sampling_interval(times: list[datetime]) -> timedelta:
    """The usual step between rows (the median), refusing rows out of order."""
    if len(times) < 2:
        raise InvalidInput("a series needs at least two rows to have an interval")
    steps = []
    for i in range(1, len(times)):
        step = times[i] - times[i - 1]
        if step <= timedelta(0):
            raise InvalidInput(
                f"row {i + 2}: timestamps must increase ({times[i]} after {times[i - 1]})"
            )
        steps.append(step.total_seconds())
    return timedelta(seconds=statistics.median(steps))


def load_profiles(root: Path) -> list[Profile]:
    raw = json.loads((root / "profiles.json").read_text())
    out = []
    for name in PROFILE_NAMES:
        costs = raw[name]["CostMatrix"]
        out.append(Profile(name, costs["tpWeight"], costs["fpWeight"], costs["fnWeight"]))
    return out


def load_corpus(root: Path) -> list[NabFile]:
    """Every labelled file of a NAB-shaped folder, in a stable order."""
    labels: dict[str, list[list[str]]] = json.loads((root / "windows.json").read_text())
    files = []
    for name in sorted(labels):
        data = read_series(root / "data" / name)
        index = {t: i for i, t in enumerate(data.times)}
        windows = []
        for start, end in labels[name]:
            try:
                windows.append((index[parse_timestamp(start)], index[parse_timestamp(end)]))
            except KeyError as exc:
                raise InvalidInput(
                    f"{name}: window bound {exc.args[0]} is not a row of the file"
                ) from exc
        files.append(NabFile(name, data.times, data.values, windows))
    return files


def sweep_weights(n: int, windows: list[tuple[int, int]], profile: Profile) -> FloatArray:
    """What a detection at each row would be worth, before the one-per-window rule."""
    weights = np.empty(n, np.float64)
    max_tp = scaled_sigmoid(-1.0)
    prev_end: int | None = None
    prev_width = 0.0
    starts = {start: end for start, end in windows}
    cur_end: int | None = None
    cur_width = 0.0
    for i in range(n):
        if cur_end is None and i in starts:
            cur_end = starts[i]
            cur_width = float(cur_end - i + 1)
        if cur_end is not None:
            weights[i] = profile.tp * scaled_sigmoid(-(cur_end - i + 1) / cur_width) / max_tp
        elif prev_end is None:
            weights[i] = -profile.fp
        else:
            weights[i] = profile.fp * scaled_sigmoid(abs(prev_end - i) / (prev_width - 1.0))
        if cur_end is not None and i == cur_end:
            prev_end, prev_width = cur_end, cur_width
            cur_end = None
    return weights


def _window_ids(n: int, windows: list[tuple[int, int]], first_id: int) -> IntArray:
    ids = np.full(n, -1, np.int64)
    for k, (start, end) in enumerate(windows):
        ids[start : end + 1] = first_id + k
    return ids


@functools.lru_cache(maxsize=1024)
def _kept_weights(n: int, windows: tuple[tuple[int, int], ...], profile: Profile) -> FloatArray:
    """`sweep_weights` past the probation, kept: a sweep over many candidates and folds asks
    for the same file and profile again and again."""
    weight = sweep_weights(n, list(windows), profile)[probation_length(n) :]
    weight.flags.writeable = False
    return weight


def _scored(f: NabFile, profile: Profile, first_id: int) -> _Scored:
    weight = _kept_weights(len(f), tuple(f.windows), profile)
    return _Scored(weight, _window_ids(len(f), f.windows, first_id)[f.probation :])


def best_threshold(
    scores: list[FloatArray], parts: list[_Scored], n_windows: int, profile: Profile
) -> tuple[float, float]:
    """Sweep every distinct score (descending) for the best corpus total: (threshold, total).

    As NAB's optimiser: rows tied at a score are detected together, a window is worth its
    best (earliest) detection, and the first threshold reaching the best total wins.
    """
    s = np.concatenate(scores) if scores else np.zeros(0)
    w = np.concatenate([p.weight for p in parts]) if parts else np.zeros(0)
    win = np.concatenate([p.window for p in parts]) if parts else np.zeros(0, np.int64)
    nothing = -profile.fn * n_windows
    if s.size == 0:
        return 1.0, nothing
    order = np.argsort(-s, kind="stable")
    s, w, win = s[order], w[order], win[order]
    gain = np.where(win < 0, w, 0.0)
    inside = np.nonzero(win >= 0)[0]
    if inside.size:
        # Within each window (in detection order) a row adds what it raises the window's
        # best by: the window's running maximum, less the one before it.
        by_window = inside[np.argsort(win[inside], kind="stable")]
        groups = win[by_window]
        # an offset per window keeps one running maximum from leaking into the next window
        offset = 4.0 * (profile.tp + profile.fn + 1.0) * groups
        best = np.maximum.accumulate(np.maximum(w[by_window], -profile.fn) + offset) - offset
        before = np.empty_like(best)
        before[1:] = best[:-1]
        starts = np.ones(groups.size, bool)
        starts[1:] = groups[1:] != groups[:-1]
        before[starts] = -profile.fn
        gain[by_window] = best - before
    totals = nothing + np.cumsum(gain)
    last_of_tie = np.ones(s.size, bool)
    last_of_tie[:-1] = s[1:] != s[:-1]
    candidates = np.nonzero(last_of_tie)[0]
    k = int(np.argmax(totals[candidates]))
    if totals[candidates[k]] > nothing:
        return float(s[candidates[k]]), float(totals[candidates[k]])
    return float(np.nextafter(s[0], np.inf)), nothing


def _file_raw(score: FloatArray, part: _Scored, threshold: float, profile: Profile) -> FileResult:
    hit = score >= threshold
    ids = sorted({int(k) for k in part.window if k >= 0})
    result = FileResult(name="", windows=0)
    raw = float(part.weight[hit & (part.window < 0)].sum())
    tp = 0
    for k in ids:
        inside = hit & (part.window == k)
        if inside.any():
            raw += float(part.weight[inside].max())
            tp += 1
        else:
            raw -= profile.fn
    result.raw[profile.name] = raw
    result.tp[profile.name] = tp
    result.fp[profile.name] = int((hit & (part.window < 0)).sum())
    return result


def _check_lengths(files: list[NabFile], scores: list[FloatArray]) -> None:
    if len(files) != len(scores) or any(
        len(f) != len(s) for f, s in zip(files, scores, strict=True)
    ):
        raise ValueError("one score per row of every file is needed")


def _parts(files: list[NabFile], profile: Profile) -> list[_Scored]:
    parts, first = [], 0
    for f in files:
        parts.append(_scored(f, profile, first))
        first += len(f.windows)
    return parts


def _kept(files: list[NabFile], scores: list[FloatArray]) -> list[FloatArray]:
    return [np.asarray(s, np.float64)[f.probation :] for f, s in zip(files, scores, strict=True)]


def score_at(
    files: list[NabFile],
    scores: list[FloatArray],
    profiles: list[Profile],
    thresholds: dict[str, float],
) -> list[FileResult]:
    """Each file's raw score, detections and false alarms at thresholds already chosen."""
    _check_lengths(files, scores)
    results = [FileResult(f.name, len(f.windows)) for f in files]
    kept = _kept(files, scores)
    for profile in profiles:
        parts = _parts(files, profile)
        for res, s, part in zip(results, kept, parts, strict=True):
            one = _file_raw(s, part, thresholds[profile.name], profile)
            res.raw[profile.name] = one.raw[profile.name]
            res.tp[profile.name] = one.tp[profile.name]
            res.fp[profile.name] = one.fp[profile.name]
    return results


def score_corpus(
    files: list[NabFile], scores: list[FloatArray], profiles: list[Profile]
) -> CorpusResult:
    """NAB's totals for per-row `scores` (one array per file, probation rows included)."""
    _check_lengths(files, scores)
    n_windows = sum(len(f.windows) for f in files)
    kept = _kept(files, scores)
    thresholds: dict[str, float] = {}
    raw_total: dict[str, float] = {}
    normalised: dict[str, float] = {}
    for profile in profiles:
        threshold, total = best_threshold(kept, _parts(files, profile), n_windows, profile)
        thresholds[profile.name] = threshold
        raw_total[profile.name] = float(total)
        null = -profile.fn * n_windows
        perfect = profile.tp * n_windows
        # without windows there is nothing to normalise by: 0, as the null detector scores
        span = perfect - null
        normalised[profile.name] = float(100.0 * (total - null) / span) if span else 0.0
    results = score_at(files, scores, profiles, thresholds)
    return CorpusResult(results, thresholds, raw_total, normalised)


def run_detector(f: NabFile, make: Callable[[], Detector]) -> FloatArray:
    """Scores of a fresh detector over one file, score before learn, row by row."""
    detector = make()
    out = np.empty(len(f), np.float64)
    for i, (when, value) in enumerate(zip(f.timestamps, f.values.tolist(), strict=True)):
        out[i] = detector.process_one(Point(when, value))
    return out


def run_views(files: list[NabFile], config: dict[str, Any]) -> list[FloatArray]:
    """Scores of the `views` detector over every file at once, each file its own series of
    one `ViewBank` (rows past a file's end are NaN: no value, nothing learnt). The bank is
    the detector's own algorithm, so this equals `run_detector` with `MultiViewDetector`."""
    bank = ViewBank(**config)
    bank.resize(len(files))
    longest = max((len(f) for f in files), default=0)
    values = np.full((len(files), longest), np.nan)
    seconds = np.zeros((len(files), longest), np.int64)
    for i, f in enumerate(files):
        values[i, : len(f)] = f.values
        seconds[i, : len(f)] = [t.hour * 3600 + t.minute * 60 + t.second for t in f.timestamps]
    slots = bank.slot_of(seconds)
    out = np.zeros_like(values)
    for t in range(longest):
        out[:, t] = bank.step(values[:, t], slots[:, t])
    return [out[i, : len(f)].copy() for i, f in enumerate(files)]


def run_corpus(
    files: Iterable[NabFile], make: Callable[[], Detector]
) -> Iterator[tuple[NabFile, FloatArray]]:
    for f in files:
        yield f, run_detector(f, make)
