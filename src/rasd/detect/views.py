"""Many numeric series watched at once through a few cheap views, vectorised with numpy.

Each view asks its own question of the newest value, and each is scale-free, so one setting
serves a CPU percentage, a temperature and a count alike:

- range: how far the value goes beyond the range the series has visited, in widths of that
  range (which slowly shrinks towards its middle, so that a calmed series can surprise again);
- sequence: how unlikely the step from the previous value's bin to this one is, given the
  steps the series has taken before (values are binned by their place in that range);
- shape: how far the distribution of the last few dozen values has drifted from the long-run
  one (relative entropy of a short histogram of those bins to a long one);
- volatility: how the recent size of steps compares with the long-run size, either way (a
  series going flat is news as much as one starting to jump).

The last three are not comparable across series as they stand (a noisy series always
surprises a little), so each becomes a likelihood, as HTM's anomaly likelihood does: its short
average is compared with the distribution that average has had so far, and only a rise well
beyond its usual range scores. The score is the largest of the four views.

Two rules then follow how an anomaly unfolds: nothing is said while a series is young
(`warmup` values), and after a high score the following ones are held down until they rise
above it (the memory of it fades with the halflife `quiet`), so that one event raises one
alarm rather than a stream of them.

Every step scores first and learns after, so a value never explains itself. A NaN is no
value: it scores 0 and teaches nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
State = dict[str, np.ndarray[Any, Any]]

_TINY = 1e-12
_LIKELIHOOD_VIEWS = 3  # sequence, shape, volatility
# Everything a series carries from one step to the next, with its shape past the series axis
# (b = bins) and its type; `state()` saves exactly these.
_STATE: dict[str, tuple[str, type[np.generic]]] = {
    "seen": ("", np.float32),
    "hi": ("", np.float64),
    "lo": ("", np.float64),
    "last": ("", np.float64),
    "prev_bin": ("", np.int8),
    "steps": ("bb", np.float32),
    "short": ("b", np.float32),
    "long": ("b", np.float32),
    "vol": ("2", np.float32),
    "avg": ("v", np.float32),
    "mean": ("v", np.float32),
    "var": ("v", np.float32),
    "held": ("", np.float32),
}


def _rate(halflife: float) -> float:
    return 1.0 - math.exp(-math.log(2.0) / halflife)


def _squash(z: FloatArray, z_half: float) -> FloatArray:
    z2 = np.square(np.maximum(z, 0.0))
    return np.asarray(z2 / (z2 + z_half * z_half), np.float64)


@dataclass(frozen=True, slots=True)
class _Evaluation:
    score: FloatArray
    bin: IndexArray
    step: FloatArray
    vol_short: FloatArray
    avg: FloatArray


class ViewBank:
    """The views of many series (module docstring), one value per series per step.

    Config (all constructor args):
    - bins: bins of a value's place in its range (sequence and shape views).
    - range_halflife: values over which the remembered range shrinks halfway to its middle.
    - range_half: the excess beyond the range, in range widths, that scores 0.5.
    - young: a young series' range is widened by 1 + young / values seen.
    - step_cap: the step counts out of one bin are halved past this total (old habits fade).
    - shape_short, shape_long: halflives (values) of the short and long histograms.
    - vol_short, vol_long: halflives (values) of the recent and long-run size of steps.
    - average: values averaged into a view's recent level (its likelihood's input).
    - history: halflife (values) of the distribution of that average.
    - z_half: a view's average this many deviations above its usual level scores 0.5.
    - warmup: values seen before any score.
    - quiet: halflife (values) of the memory of a high score that holds the next ones down.
    - seed: part of the detector contract; nothing here is random.
    """

    def __init__(
        self,
        seed: int = 0,
        bins: int = 10,
        range_halflife: float = 3000.0,
        range_half: float = 0.2,
        young: float = 100.0,
        step_cap: float = 1000.0,
        shape_short: float = 30.0,
        shape_long: float = 1000.0,
        vol_short: float = 10.0,
        vol_long: float = 1000.0,
        average: float = 10.0,
        history: float = 2000.0,
        z_half: float = 24.0,
        warmup: int = 150,
        quiet: float = 400.0,
    ) -> None:
        if not 2 <= bins <= 64 or warmup < 2 or young < 0:
            raise ValueError("2 <= bins <= 64, warmup >= 2, young >= 0")
        if min(range_half, z_half, average, step_cap) <= 0:
            raise ValueError("range_half, z_half, average and step_cap must be positive")
        halflives = (range_halflife, shape_short, shape_long, vol_short, vol_long, history, quiet)
        if min(halflives) <= 0:
            raise ValueError("halflives must be positive")
        self.seed = seed
        self.bins = bins
        self.range_halflife = range_halflife
        self.range_half = range_half
        self.young = young
        self.step_cap = step_cap
        self.shape_short = shape_short
        self.shape_long = shape_long
        self.vol_short = vol_short
        self.vol_long = vol_long
        self.average = average
        self.history = history
        self.z_half = z_half
        self.warmup = warmup
        self.quiet = quiet
        self._shrink = _rate(range_halflife)
        self._a_short = _rate(shape_short)
        self._a_long = _rate(shape_long)
        self._a_vol_s = _rate(vol_short)
        self._a_vol_l = _rate(vol_long)
        self._a_avg = 1.0 / average
        self._a_hist = _rate(history)
        self._keep = 1.0 - _rate(quiet)
        self._n = 0
        self._arrays: dict[str, np.ndarray[Any, Any]] = {}
        self._resize_to(0)

    # -- series ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def resize(self, n: int) -> None:
        """Grow to `n` series; the new ones start as never seen."""
        if n < self._n:
            raise ValueError("a bank never shrinks")
        self._resize_to(n)

    def _shape(self, code: str, n: int) -> tuple[int, ...]:
        sizes = {"b": self.bins, "v": _LIKELIHOOD_VIEWS, "2": 2}
        return (n, *(sizes[c] for c in code))

    def _resize_to(self, n: int) -> None:
        old = self._n
        for name, (code, dtype) in _STATE.items():
            fill = 1.0 / self.bins if name in ("short", "long") else 0
            arr = np.full(self._shape(code, n), fill, dtype)
            if old:
                arr[:old] = self._arrays[name][:old]
            self._arrays[name] = arr
        self._n = n

    # -- steps -----------------------------------------------------------------------------

    def score(self, values: npt.ArrayLike) -> FloatArray:
        """What `step` would score for these values, changing nothing."""
        return self._evaluate(self._values(values)).score

    def step(self, values: npt.ArrayLike) -> FloatArray:
        """Score one value per series (NaN: none this step, scores 0), then learn it."""
        x = self._values(values)
        ev = self._evaluate(x)
        self._learn(x, ev)
        return ev.score

    def _values(self, values: npt.ArrayLike) -> FloatArray:
        x = np.asarray(values, dtype=np.float64)
        if x.shape != (self._n,):
            raise ValueError(f"expected {self._n} values, one per series, got {x.shape}")
        # Beyond this a float's square overflows: such a value is no measurement.
        return np.where(np.abs(x) < 1e150, x, np.nan)

    def _evaluate(self, x: FloatArray) -> _Evaluation:
        s = self._arrays
        rows = np.arange(self._n)
        seen = s["seen"].astype(np.float64)
        ok = np.isfinite(x)
        xv = np.where(ok, x, s["last"])
        hi, lo = s["hi"], s["lo"]
        width = np.maximum(hi - lo, 1e-6 * np.maximum(np.abs(hi), np.abs(lo)))
        width = np.maximum(width, _TINY)

        wide = width * (1.0 + self.young / np.maximum(seen, 1.0))
        excess = np.maximum(np.maximum(xv - hi, lo - xv), 0.0) / wide
        range_score = _squash(excess, self.range_half)

        place = np.clip((xv - lo) / width, 0.0, 1.0)
        b = np.minimum((place * self.bins).astype(np.intp), self.bins - 1)

        # sequence: -log P(bin | previous bin), add-one smoothed, in units of log(bins)
        out_of_prev = s["steps"][rows, s["prev_bin"].astype(np.intp)]
        count = out_of_prev[rows, b].astype(np.float64)
        total = out_of_prev.sum(axis=1, dtype=np.float64)
        sequence = -np.log((count + 1.0) / (total + self.bins)) / math.log(self.bins)

        # shape: relative entropy of the short histogram (this value in) to the long one
        short = s["short"].astype(np.float64) * (1.0 - self._a_short)
        short[rows, b] += self._a_short
        long = s["long"].astype(np.float64) + 1e-3
        long /= long.sum(axis=1, keepdims=True)
        shape = np.sum(short * np.log((short + 1e-3) / long), axis=1)

        # volatility: log ratio of the recent to the long-run size of steps
        step = np.abs(xv - s["last"])
        vol = s["vol"].astype(np.float64)
        vol_short = vol[:, 0] + self._a_vol_s * (step - vol[:, 0])
        floor = 1e-3 * width
        volatility = np.abs(np.log((vol_short + floor) / (vol[:, 1] + floor)))

        raw = np.stack([sequence, shape, volatility], axis=1)
        avg_prev = s["avg"].astype(np.float64)
        avg = np.where((seen == 0)[:, None], raw, avg_prev + self._a_avg * (raw - avg_prev))
        sd = np.sqrt(np.maximum(s["var"].astype(np.float64), _TINY))
        z = (avg - s["mean"]) / sd
        views = np.maximum(range_score, _squash(z, self.z_half).max(axis=1))

        score = np.where(views > s["held"], views, 0.0)
        score = np.where(ok & (seen >= self.warmup), score, 0.0)
        return _Evaluation(score, b, step, vol_short, avg)

    def _learn(self, x: FloatArray, ev: _Evaluation) -> None:
        s = self._arrays
        rows = np.nonzero(np.isfinite(x))[0]
        if rows.size == 0:
            return
        xs = x[rows]
        seen = s["seen"][rows].astype(np.float64)
        first = seen == 0
        later = (~first).astype(np.float32)
        b = ev.bin[rows]
        local = np.arange(rows.size)

        hi, lo = s["hi"][rows], s["lo"][rows]
        mid = 0.5 * (hi + lo)
        s["hi"][rows] = np.where(first, xs, np.maximum(hi - self._shrink * (hi - mid), xs))
        s["lo"][rows] = np.where(first, xs, np.minimum(lo + self._shrink * (mid - lo), xs))

        # count the step from the previous bin, halving that bin's counts past the cap
        prev = s["prev_bin"][rows].astype(np.intp)
        s["steps"][rows, prev, b] += later
        full = s["steps"][rows, prev].sum(axis=1) > self.step_cap
        if full.any():
            s["steps"][rows[full], prev[full]] *= np.float32(0.5)
        s["prev_bin"][rows] = b.astype(np.int8)

        for name, a in (("short", self._a_short), ("long", self._a_long)):
            hist = s[name][rows] * np.float32(1.0 - a)
            hist[local, b] += np.float32(a)
            s[name][rows] = hist

        a_long = np.maximum(self._a_vol_l, 1.0 / (seen + 1.0))
        vol = s["vol"][rows].astype(np.float64)
        step = ev.step[rows]
        vol[:, 0] = np.where(first, 0.0, ev.vol_short[rows])
        vol[:, 1] = np.where(first, 0.0, vol[:, 1] + a_long * (step - vol[:, 1]))
        s["vol"][rows] = vol
        s["last"][rows] = xs

        # each view's average joins the distribution it is judged against
        avg = ev.avg[rows]
        a_hist = np.maximum(self._a_hist, 1.0 / (seen + 1.0))[:, None]
        mean = s["mean"][rows].astype(np.float64)
        delta = avg - mean
        s["mean"][rows] = mean + a_hist * delta
        var = s["var"][rows].astype(np.float64)
        s["var"][rows] = np.minimum((1.0 - a_hist) * (var + a_hist * delta * delta), 1e30)
        s["avg"][rows] = avg

        held = s["held"][rows].astype(np.float64) * self._keep
        s["held"][rows] = np.maximum(held, ev.score[rows])
        s["seen"][rows] = seen + 1.0

    # -- persistence -----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild an empty bank like this one."""
        names = (
            "seed bins range_halflife range_half young step_cap shape_short shape_long "
            "vol_short vol_long average history z_half warmup quiet"
        ).split()
        return {name: getattr(self, name) for name in names}

    def state(self) -> State:
        """Everything the bank knows, as numpy arrays (see `load_state`)."""
        return {name: arr[: self._n].copy() for name, arr in self._arrays.items()}

    def load_state(self, state: State) -> None:
        """Continue exactly where the bank that gave `state` stopped (same config)."""
        n = int(np.asarray(state["seen"]).shape[0])
        self._n = 0
        self._resize_to(n)
        for name, arr in self._arrays.items():
            given = np.asarray(state[name])
            if given.shape != arr.shape:
                raise ValueError(f"state {name!r} has shape {given.shape}, not {arr.shape}")
            arr[...] = given.astype(arr.dtype)

    def nbytes_per_series(self) -> float:
        return sum(a.nbytes for a in self._arrays.values()) / max(self._n, 1)
