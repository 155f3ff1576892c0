"""Many numeric series watched at once through a few cheap views, vectorised with numpy.

Every view asks one question: does this go beyond the range its series has visited? It is
asked of four readings of the newest value, each scale-free (measured in widths of its own
range), so one setting serves a CPU percentage, a temperature and a count alike:

- context: the value less what this hour of the day usually brings (an hourly profile,
  learnt as it comes), so that a Monday-morning level at 3 a.m. is news although the series
  has been there before;
- context level: the same, smoothed over a few values, so that a lasting shift shows even
  when a lone spike once stretched the range;
- level: the value itself, smoothed, for series whose trouble is a new level whatever the hour;
- shape: how far the last few values, as a shape (less their mean, in hundredths of the level
  range), are from the nearer of a few usual shapes, over how far they usually are, for
  trouble that stays inside every range (a series stuck, a rhythm broken). The usual shapes
  are learnt as in adaptive resonance (ARTime): a shape within `shape_vigilance` of the
  nearest moves it towards itself, any other takes the place of the one matched least lately.
  Only a shape farther than usual is news: that view is one-sided.

A remembered range slowly shrinks towards its middle, so that a series that calmed down can
surprise again; a young series' range is widened (records are common while few values have
been seen), and in a long one an excess counts more (a record is rarer after many values: in
n values of an unchanging series the next is a record with chance 1/n).

Two rules then follow how an anomaly unfolds. Nothing is said while a series is young
(`warmup` values). After a high score the following ones are held down until they rise above
it, so that one event raises one alarm rather than a stream of them: each view holds its own
alarms down for long (halflife `view_quiet`), so that a lasting event does not go on ringing
through the same view, and the score (the largest of the views' after that) holds its own
down for a shorter while (halflife `quiet`), so that another kind of trouble soon after still
shows.

An alarm from a series that has been alarming lately says less than one from a quiet series
(the thought behind HTM's anomaly likelihood, which weighs a raw score by how common such
scores have been): the score is divided by 1 + `chatter` x the sum of its recent scores (an
average over about `chatter_halflife` values, times that many values), so that a series
ringing now and then is heard a little less each time while the first alarm of a quiet one
keeps its full weight.

Every step scores first and learns after, so a value never explains itself. A NaN is no
value: it scores 0 and teaches nothing.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
State = dict[str, np.ndarray[Any, Any]]

_TINY = 1e-12
_HUGE = 1e30
_VIEWS = ("context", "context_level", "level")
_LEVEL = 2  # the view whose range measures the shapes
# A window of values in hundredths of the level range: a range holds -50 .. 50 of them.
_STEPS = 100.0
# Everything a series carries from one step to the next, with its shape past the series axis
# (s = slots of the profile, v = views) and its type; `state()` saves exactly these. NaN says
# "none yet": a slot of the profile never visited, a view without a range, no smoothed
# residual before the first residual.
_STATE: dict[str, tuple[str, type[np.generic]]] = {
    "seen": ("", np.float32),
    "profile": ("s", np.float32),
    "smooth": ("", np.float32),
    "smooth_residual": ("", np.float32),
    # A range is its middle and half its width. Shrinking it then only scales the half-width,
    # which float32 does to its relative precision; the middle stays float64, since a float32
    # one far from 0 could not follow the small steps of a range shrinking off-centre.
    "mid": ("v", np.float64),
    "half": ("v", np.float32),
    "view_held": ("v", np.float32),
    "held": ("", np.float32),
    "chatter": ("", np.float32),
    # the shape view (w = values of a shape, k = prototypes): the last values and the usual
    # shapes, in hundredths of the level range, and the usual distance to the nearest
    "window": ("w", np.int8),
    "prototypes": ("kw", np.int8),
    "usual_distance": ("", np.float32),
}
_SHAPE_STATE = ("window", "prototypes", "usual_distance")
_NONE_YET = ("profile", "smooth_residual", "half", "usual_distance")


def _rate(halflife: float) -> float:
    return 1.0 - math.exp(-math.log(2.0) / halflife)


def _squash(z: FloatArray, z_half: float | FloatArray) -> FloatArray:
    z2 = np.square(np.maximum(z, 0.0))
    return np.asarray(z2 / (z2 + z_half * z_half), np.float64)


@dataclass(frozen=True, slots=True)
class _Evaluation:
    score: FloatArray  # what the step says: `alarm` discounted by the series' chatter
    alarm: FloatArray  # the score before that discount, which the holds and chatter learn
    views: FloatArray  # (n, views) after each view's hold
    readings: FloatArray  # (n, views): what each view looked at, NaN where nothing
    slot: IntArray
    smooth: FloatArray
    smooth_residual: FloatArray
    shape: _Shape | None


@dataclass(frozen=True, slots=True)
class _Shape:
    """What the shape view saw this step, for its learning."""

    window: FloatArray  # (n, w): the last values, the newest included, in hundredths
    centred: FloatArray  # (n, w): the same less its mean
    nearest: IntArray  # the prototype nearest to it
    distance: FloatArray  # to that prototype, in level range widths; NaN before a full window


class ViewBank:
    """The views of many series (module docstring), one value per series per step.

    Config (all constructor args):
    - slots: slots of the profile over a day (24: one an hour).
    - profile_halflife: visits of a slot over which its usual value moves halfway.
    - smooth: halflife (values) of the smoothing of the two level views.
    - range_halflife: values over which a remembered range shrinks halfway to its middle.
    - range_half: the excess beyond a range, in widths of that range, that scores 0.5.
    - young: a young series' ranges are widened by 1 + young / values seen.
    - warmup: values seen before any score.
    - view_quiet: halflife (values) of the memory of a view's high score that holds its next
      ones down.
    - quiet: halflife (values) of the memory of a high score that holds the next ones down.
    - chatter_halflife: values over which a series' recent alarms are averaged.
    - chatter: how much those recent alarms discount a new score (0: not at all).
    - long_after, long_gain: past `long_after` values seen, an excess counts
      (seen / long_after) ^ long_gain times more (0: never).
    - shape_window: values in a shape (0: no shape view); shape_prototypes: usual shapes kept.
    - shape_vigilance: the distance (in level range widths) within which a shape is the
      nearest prototype's; shape_learn: how far that prototype moves towards it.
    - shape_memory: values over which the usual distance to the nearest prototype is averaged.
    - shape_width: the least width of the range of the shape view's readings.
    - shape_half: that view's excess that scores 0.5 (the other views': `range_half`).
    - shape_warmup: values seen before the shape view speaks (the other views: `warmup`).
    - shape_young: the shape view's `young` (its readings' range widened by
      1 + shape_young / values seen).
    - seed: part of the detector contract; nothing here is random.
    """

    def __init__(
        self,
        seed: int = 0,
        slots: int = 24,
        profile_halflife: float = 10.0,
        smooth: float = 10.0,
        range_halflife: float = 10000.0,
        range_half: float = 0.2,
        young: float = 100.0,
        warmup: int = 150,
        view_quiet: float = 400.0,
        quiet: float = 100.0,
        chatter_halflife: float = 1000.0,
        chatter: float = 0.5,
        long_after: float = 4500.0,
        long_gain: float = 0.5,
        shape_window: int = 8,
        shape_prototypes: int = 2,
        shape_vigilance: float = 0.05,
        shape_learn: float = 0.3,
        shape_memory: float = 110.0,
        shape_width: float = 3.0,
        shape_half: float = 0.6,
        shape_warmup: int = 600,
        shape_young: float = 200.0,
    ) -> None:
        if not 1 <= slots <= 1440 or warmup < 2 or young < 0 or range_half <= 0 or chatter < 0:
            raise ValueError(
                "1 <= slots <= 1440, warmup >= 2, young >= 0, range_half > 0, chatter >= 0"
            )
        if long_after <= 0 or long_gain < 0:
            raise ValueError("long_after > 0, long_gain >= 0")
        if not 0 <= shape_window <= 64 or not 1 <= shape_prototypes <= 16:
            raise ValueError("0 <= shape_window <= 64, 1 <= shape_prototypes <= 16")
        if not 0 < shape_learn <= 1 or shape_memory < 1 or shape_half <= 0:
            raise ValueError("0 < shape_learn <= 1, shape_memory >= 1, shape_half > 0")
        if shape_vigilance < 0 or shape_width < 0 or shape_warmup < 0 or shape_young < 0:
            raise ValueError(
                "shape_vigilance >= 0, shape_width >= 0, shape_warmup >= 0, shape_young >= 0"
            )
        halflives = (profile_halflife, smooth, range_halflife, view_quiet, quiet, chatter_halflife)
        if min(halflives) <= 0:
            raise ValueError("halflives must be positive")
        self.seed = seed
        self.slots = slots
        self.profile_halflife = profile_halflife
        self.smooth = smooth
        self.range_halflife = range_halflife
        self.range_half = range_half
        self.young = young
        self.warmup = warmup
        self.view_quiet = view_quiet
        self.quiet = quiet
        self.chatter_halflife = chatter_halflife
        self.chatter = chatter
        self.long_after = long_after
        self.long_gain = long_gain
        self.shape_window = shape_window
        self.shape_prototypes = shape_prototypes
        self.shape_vigilance = shape_vigilance
        self.shape_learn = shape_learn
        self.shape_memory = shape_memory
        self.shape_width = shape_width
        self.shape_half = shape_half
        self.shape_warmup = shape_warmup
        self.shape_young = shape_young
        self._a_usual = 1.0 / shape_memory
        self._layout = {
            name: kind for name, kind in _STATE.items() if shape_window or name not in _SHAPE_STATE
        }
        self._n_views = len(_VIEWS) + (1 if shape_window else 0)
        halves = [range_half] * len(_VIEWS) + ([shape_half] if shape_window else [])
        self._halves = np.array(halves)
        youth = [young] * len(_VIEWS) + ([shape_young] if shape_window else [])
        self._young = np.array(youth)
        self._a_chatter = _rate(chatter_halflife)
        self._a_profile = _rate(profile_halflife)
        self._a_smooth = _rate(smooth)
        self._shrink = _rate(range_halflife)
        self._view_keep = 1.0 - _rate(view_quiet)
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

    def _resize_to(self, n: int) -> None:
        sizes = {
            "s": self.slots,
            "v": self._n_views,
            "w": self.shape_window,
            "k": self.shape_prototypes,
        }
        old = self._n
        for name, (code, dtype) in self._layout.items():
            fill = np.nan if name in _NONE_YET else 0
            arr = np.full((n, *(sizes[c] for c in code)), fill, dtype)
            if old:
                arr[:old] = self._arrays[name][:old]
            self._arrays[name] = arr
        self._n = n

    def slot_of(self, seconds_of_day: npt.ArrayLike) -> IntArray:
        """The profile slot of a time of day given in seconds since midnight (UTC)."""
        s = np.asarray(seconds_of_day, dtype=np.float64)
        return np.clip((s * self.slots / 86400.0).astype(np.intp), 0, self.slots - 1)

    # -- steps -----------------------------------------------------------------------------

    def score(self, values: npt.ArrayLike, slots: npt.ArrayLike) -> FloatArray:
        """What `step` would score for these values, changing nothing."""
        x, slot = self._inputs(values, slots)
        return self._evaluate(x, slot).score

    def step(self, values: npt.ArrayLike, slots: npt.ArrayLike) -> FloatArray:
        """Score one value per series (NaN: none this step, scores 0), each at its profile
        slot (`slot_of` its time of day), then learn it."""
        x, slot = self._inputs(values, slots)
        ev = self._evaluate(x, slot)
        self._learn(x, ev)
        return ev.score

    def _inputs(self, values: npt.ArrayLike, slots: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
        x = np.asarray(values, dtype=np.float64)
        if x.shape != (self._n,):
            raise ValueError(f"expected {self._n} values, one per series, got {x.shape}")
        slot = np.broadcast_to(np.asarray(slots, dtype=np.intp), x.shape)
        if slot.size and (slot.min() < 0 or slot.max() >= self.slots):
            raise ValueError(f"slots must be in [0, {self.slots})")
        # Beyond this a float32 of the state overflows: such a value is no measurement.
        return np.where(np.abs(x) < _HUGE, x, np.nan), slot

    def _evaluate(self, x: FloatArray, slot: IntArray) -> _Evaluation:
        s = self._arrays
        rows = np.arange(self._n)
        seen = s["seen"].astype(np.float64)
        ok = np.isfinite(x)
        xv = np.where(ok, x, 0.0)
        first = seen == 0

        usual = s["profile"][rows, slot]
        known = np.isfinite(usual)
        residual = np.where(known, xv - usual, np.nan)
        smooth_residual = np.where(
            np.isfinite(s["smooth_residual"]),
            s["smooth_residual"] + self._a_smooth * (residual - s["smooth_residual"]),
            residual,
        )
        smooth_residual = np.where(known, smooth_residual, s["smooth_residual"])
        smooth = np.where(first, xv, s["smooth"] + self._a_smooth * (xv - s["smooth"]))
        columns = [residual, smooth_residual, smooth]
        shape = None
        if self.shape_window:
            shape = self._shape(xv, seen)
            columns.append(shape.distance / np.maximum(s["usual_distance"], _TINY))
        readings = np.stack(columns, axis=1)
        readings = np.where(ok[:, None], readings, np.nan)

        mid, half = s["mid"].astype(np.float64), s["half"].astype(np.float64)
        hi, lo = mid + half, mid - half
        width = np.maximum(hi - lo, 1e-6 * np.maximum(np.abs(hi), np.abs(lo)))
        width = np.maximum(width, _TINY) * (1.0 + self._young / np.maximum(seen, 1.0)[:, None])
        with np.errstate(invalid="ignore"):
            past = np.maximum(readings - hi, lo - readings)
            if self.shape_window:
                # a shape nearer the usual ones than ever is no news: that view is one-sided
                width[:, _LEVEL + 1] = np.maximum(width[:, _LEVEL + 1], self.shape_width)
                past[:, _LEVEL + 1] = readings[:, _LEVEL + 1] - hi[:, _LEVEL + 1]
            excess = np.maximum(past, 0.0) / width
        excess = np.where(np.isfinite(s["half"]) & np.isfinite(readings), excess, 0.0)
        if self.long_gain:
            # a new record is rarer the longer the series: (values seen / long_after) ^ gain
            long = np.maximum(seen / self.long_after, 1.0) ** self.long_gain
            excess = excess * long[:, None]
        views = _squash(excess, self._halves)
        views = np.where(views > s["view_held"], views, 0.0)
        if self.shape_window:
            # the usual shapes and their usual distance are learnt over several memories first
            shaped = seen >= self.shape_warmup
            views[:, _LEVEL + 1] = np.where(shaped, views[:, _LEVEL + 1], 0.0)
        best = views.max(axis=1)
        score = np.where(best > s["held"], best, 0.0)
        speak = ok & (seen >= self.warmup)
        score = np.where(speak, score, 0.0)
        views = np.where(speak[:, None], views, 0.0)
        # the running sum of recent alarms: their average over about chatter_halflife values
        recent = s["chatter"].astype(np.float64) * self.chatter_halflife
        said = score / (1.0 + self.chatter * recent)
        return _Evaluation(said, score, views, readings, slot, smooth, smooth_residual, shape)

    def _shape(self, x: FloatArray, seen: FloatArray) -> _Shape:
        """The newest `shape_window` values (x the newest) against the usual shapes."""
        s = self._arrays
        mid, half = s["mid"][:, _LEVEL], s["half"][:, _LEVEL].astype(np.float64)
        width = np.maximum(2.0 * half, np.maximum(1e-6 * np.abs(mid), _TINY))
        with np.errstate(invalid="ignore"):
            step = np.where(np.isfinite(half), _STEPS * (x - mid) / width, 0.0)
        newest = np.clip(np.rint(step), -127.0, 127.0)
        window = np.concatenate([s["window"][:, 1:], newest[:, None]], axis=1).astype(np.float64)
        centred = window - window.mean(axis=1, keepdims=True)
        apart = np.abs(centred[:, None, :] - s["prototypes"]).mean(axis=2)
        nearest = apart.argmin(axis=1)
        distance = apart[np.arange(self._n), nearest] / _STEPS
        full = seen + 1.0 >= self.shape_window
        return _Shape(window, centred, nearest, np.where(full, distance, np.nan))

    def _learn_shape(self, rows: IntArray, shape: _Shape) -> None:
        """Keep the window; the nearest prototype moves towards a shape within vigilance, else
        the shape takes the place of the prototype matched least lately (adaptive resonance);
        prototypes are kept in the order of their last match."""
        s = self._arrays
        s["window"][_all_or(rows, self._n)] = shape.window[rows].astype(np.int8)
        distance = shape.distance[rows]
        rows = rows[np.isfinite(distance)]
        if rows.size == 0:
            return
        distance = distance[np.isfinite(distance)]
        at = _all_or(rows, self._n)  # a slice where every series learns: no gather, no scatter
        k = self.shape_prototypes
        matched = distance <= self.shape_vigilance
        moved = np.where(matched, shape.nearest[rows], k - 1)
        protos = s["prototypes"][at]
        centred = shape.centred[rows]
        near = protos[np.arange(rows.size), moved].astype(np.float64)
        first = np.where(matched[:, None], near + self.shape_learn * (centred - near), centred)
        j = np.arange(k)[None, :]
        order = np.where(j == 0, moved[:, None], np.where(j <= moved[:, None], j - 1, j))
        # a plain gather: take_along_axis builds its index grids anew each step
        protos = protos[np.arange(rows.size)[:, None], order]
        protos[:, 0] = np.clip(np.rint(first), -127, 127)
        s["prototypes"][at] = protos
        usual = s["usual_distance"][rows].astype(np.float64)
        known = np.isfinite(usual)
        s["usual_distance"][rows] = np.where(
            known, usual + self._a_usual * (distance - usual), distance
        )

    def _learn(self, x: FloatArray, ev: _Evaluation) -> None:
        s = self._arrays
        rows = np.nonzero(np.isfinite(x))[0]
        if rows.size == 0:
            return
        # every series, or its first ones (spare rows are NaN): a slice, not a gather/scatter
        at = _all_or(rows, self._n)
        xs = x[at]
        slot = ev.slot[at]

        # each view's range takes in its reading (its first one opens the range)
        r = ev.readings[at]
        has = np.isfinite(r)
        mid, half = s["mid"][at], s["half"][at]
        ranged = np.isfinite(half)
        shrunk = half.astype(np.float64) * (1.0 - self._shrink)
        with np.errstate(invalid="ignore"):
            # a reading inside leaves the middle exactly where it was
            above = np.maximum(r - (mid + shrunk), 0.0)
            below = np.maximum((mid - shrunk) - r, 0.0)
            new_mid = np.where(ranged, mid + 0.5 * (above - below), r)
            new_half = np.where(ranged, shrunk + 0.5 * (above + below), 0.0)
        s["mid"][at] = np.where(has, new_mid, mid)
        s["half"][at] = np.where(has, new_half, half)

        profile = s["profile"][rows, slot].astype(np.float64)
        known = np.isfinite(profile)
        s["profile"][rows, slot] = np.where(known, profile + self._a_profile * (xs - profile), xs)
        s["smooth"][at] = ev.smooth[at]
        s["smooth_residual"][at] = ev.smooth_residual[at]

        view_held = s["view_held"][at].astype(np.float64) * self._view_keep
        s["view_held"][at] = np.maximum(view_held, ev.views[at])
        held = s["held"][at].astype(np.float64) * self._keep
        s["held"][at] = np.maximum(held, ev.alarm[at])
        chatter = s["chatter"][at].astype(np.float64)
        s["chatter"][at] = chatter + self._a_chatter * (ev.alarm[at] - chatter)
        if ev.shape is not None:
            self._learn_shape(rows, ev.shape)
        s["seen"][at] += np.float32(1.0)

    # -- persistence -----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild an empty bank like this one."""
        names = [name for name in inspect.signature(ViewBank.__init__).parameters if name != "self"]
        return {name: getattr(self, name) for name in names}

    def state(self) -> State:
        """Everything the bank knows, as numpy arrays (see `load_state`)."""
        return {name: arr[: self._n].copy() for name, arr in self._arrays.items()}

    def load_state(self, state: State) -> None:
        """Continue exactly where the bank that gave `state` stopped (same config). Older
        layouts restore too: a state saved before the chatter was kept starts it at none; one
        that kept each range as its top and bottom (`hi`, `lo`, float64) and flags for the
        ranges and slots seen (`ranged`, `profile_seen`) has them turned into this layout; one
        saved before the shape view has that view start from nothing."""
        n = int(np.asarray(state["seen"]).shape[0])
        self._n = 0
        self._resize_to(n)
        state = _current_layout(state)
        before_shapes = self.shape_window > 0 and "window" not in state
        for name, arr in self._arrays.items():
            if name not in state and (name == "chatter" or before_shapes):
                continue
            given = np.asarray(state[name])
            if before_shapes and _STATE[name][0] == "v" and given.shape == (n, len(_VIEWS)):
                arr[:, : len(_VIEWS)] = given.astype(arr.dtype)
                continue
            if given.shape != arr.shape:
                raise ValueError(f"state {name!r} has shape {given.shape}, not {arr.shape}")
            arr[...] = given.astype(arr.dtype)

    def nbytes_per_series(self) -> float:
        return sum(a.nbytes for a in self._arrays.values()) / max(self._n, 1)


def _all_or(rows: IntArray, n: int) -> IntArray | slice:
    """`rows` (ascending) as an index: a plain slice when they are the first `rows.size` of
    the `n` series, as they are but for the spare rows a growing bank keeps at the end."""
    if rows.size == n or (rows.size and int(rows[-1]) == rows.size - 1):
        return slice(0, rows.size)
    return rows


def _current_layout(state: State) -> State:
    """`state` in this version's layout (see `ViewBank.load_state`)."""
    state = dict(state)
    if "mid" not in state and "hi" in state and "lo" in state:
        hi = np.asarray(state.pop("hi"), np.float64)
        lo = np.asarray(state.pop("lo"), np.float64)
        ranged = np.asarray(state.pop("ranged", np.ones(hi.shape, np.bool_)), np.bool_)
        state["mid"] = np.where(ranged, 0.5 * (hi + lo), 0.0)
        state["half"] = np.where(ranged, 0.5 * (hi - lo), np.nan)
    if "profile_seen" in state:
        seen = np.asarray(state.pop("profile_seen"), np.bool_)
        state["profile"] = np.where(seen, np.asarray(state["profile"], np.float64), np.nan)
    return state
