"""Many per-minute count series watched at once: baseline, score and level, vectorised.

Usage (the production interface):

    bank = SeriesBank(seed=0)
    i = bank.index(SeriesKey("facebook", "reports", "*"))   # stable index, grows the arrays
    bank.warm(start_minute, history)                         # (n_series, n_minutes) counts
    res = bank.step(minute, counts)                          # counts[i] for every series
    res.expected, res.score, res.level                       # float64, float64 in [0, 1], int8
    res.views                                                # the general views, in [0, 1]
    bank.expected_at(minute)                                 # baseline band, no learning
    SeriesBank.from_state(bank.state())                      # survive a restart

Each minute the bank scores first and learns after, so a count never explains itself. The
score is one-sided (only an excess over the usual level is suspicious: report counts falling
to zero is no outage) and takes the larger of two views: this minute alone, and the last few
minutes together, which is what lets a small service's steady trickle of extra reports add up.
The spread expected around the usual level is Poisson plus a relative error learnt per series
(negative-binomial style): on the Anscombe scale its variance is 1 + phi * expected, so a quiet
service is judged by counting noise and a giant by how well its baseline usually fits.
Counts are learnt clipped a few deviations above the expected level, and minutes scoring as
anomalous are learnt with a small weight only: an outage barely moves the baseline, yet a
lasting change of level is eventually taken as the new normal instead of alarming forever.

Beside that count model, every series is also watched by the general views of
`rasd.detect.views` (the detector `rasd detect-series` and `rasd eval nab` run), on the
Anscombe scale and with an hourly profile of the day: `TickResult.views`, learnt every
minute and kept across restarts. It does not move the levels yet: those come from the count
score alone, which the scenario suite holds to no false incident.
"""

from __future__ import annotations

import copy
import json
import math
import multiprocessing
import queue
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rasd.detect.baseline import Factors, SeasonalBaseline
from rasd.detect.decision import LevelArray, LevelFilter
from rasd.detect.score import anscombe, anscombe_inverse, evidence_weight, excess_z, squash
from rasd.detect.views import ViewBank
from rasd.series import SeriesKey

FloatArray = npt.NDArray[np.float64]
State = dict[str, np.ndarray[Any, Any]]
# values of history (series x minutes) from which the views learn it in a process of their own:
# a week of a thousand series; spawning one costs about a second of the other core
ASIDE_AT = 2_000_000
# steps after such a history that may wait for the views before one waits for them (a few
# hours of minutes: a replay's first seconds)
_QUEUED_AT_MOST = 600


@dataclass(frozen=True, slots=True)
class TickResult:
    """One minute of the bank: per series (in index order) the usual count, the score in [0, 1]
    (higher = more anomalous, excess only), the level (int8 `Level` values) and the score of
    the general views (`rasd.detect.views`, either way, no part of the level)."""

    minute: int
    expected: FloatArray
    score: FloatArray
    level: LevelArray
    views_of: FloatArray | _Late

    @property
    def views(self) -> FloatArray:
        views = self.views_of
        return views.get() if isinstance(views, _Late) else views


class _Late:
    """The views' score of a step taken while they run in their own process: fetched from
    there when read (or handed over with the views when they come back)."""

    __slots__ = ("__weakref__", "_aside", "_seq", "score")

    def __init__(self, aside: _Aside, seq: int) -> None:
        self._aside = aside
        self._seq = seq
        self.score: FloatArray | None = None

    def get(self) -> FloatArray:
        if self.score is None:
            self._aside.score_of(self._seq)
        assert self.score is not None  # every step sent is scored there, or here if it died
        return self.score

    def __del__(self) -> None:
        if self.score is None:
            # never read: its score need not be kept over there (told with the next step)
            self._aside.forgotten.append(self._seq)


class _Aside:
    """The views in a process of their own for the whole run: it learns the history, then
    takes each step as sent and keeps its score until read or forgotten. Messages go through
    a thread of this process, so a step never waits for the views (which may still be
    learning the history); only reading a score, a copy or the views back does.

    What the views were last known as here (the history to learn, or a copy) and the steps
    sent since are kept, so that views lost with their process are learnt again here, the
    same. A copy is asked for every `_QUEUED_AT_MOST` steps, which bounds that, and waits for
    the views to have caught up, as the steps queued for views learning aside always did."""

    def __init__(
        self, views: ViewBank, n: int, start_minute: int, counts: FloatArray, sent: Any
    ) -> None:
        context = multiprocessing.get_context("spawn")
        to_views, self._requests = context.Pipe(duplex=False)
        self._replies, from_views = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_serve_views, args=(to_views, from_views), daemon=True
        )
        self._process.start()
        to_views.close()
        from_views.close()
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._broken = False
        self._sender = threading.Thread(target=self._send_all, name="rasd-views", daemon=True)
        self._sender.start()
        self._outbox.put(("learn", views, n, start_minute, sent))
        # learnt here again from this and the steps since, should the process be lost
        self._known: tuple[ViewBank, int, int, FloatArray] | ViewBank = (
            views,
            n,
            start_minute,
            counts,
        )
        self.queued: list[tuple[int, int, int, FloatArray]] = []  # (seq, minute, series, x)
        self._live: weakref.WeakValueDictionary[int, _Late] = weakref.WeakValueDictionary()
        self.forgotten: list[int] = []
        self._seq = 0
        self.lost: ViewBank | None = None  # the views learnt here once the process is lost

    def _send_all(self) -> None:
        while True:
            message = self._outbox.get()
            if message is None:
                break
            try:
                self._requests.send(message)
            except (OSError, ValueError):
                self._broken = True
                break
        self._requests.close()

    def step(self, minute: int, n: int, x: FloatArray) -> _Late:
        self._seq += 1
        forgotten, self.forgotten = self.forgotten, []
        x = x.copy()
        self._outbox.put(("step", minute, n, x, forgotten))
        self.queued.append((self._seq, minute, n, x))
        late = self._live[self._seq] = _Late(self, self._seq)
        if self._broken:
            self._learn_here()
        elif len(self.queued) >= _QUEUED_AT_MOST:
            self.copy()
        return late

    def _ask(self, *message: Any) -> Any:
        if self.lost is None and not self._broken:
            self._outbox.put(message)
            try:
                return self._replies.recv()
            except (OSError, EOFError):
                pass
        self._learn_here()
        return None

    def score_of(self, seq: int) -> None:
        score = self._ask("score", seq)
        late = self._live.get(seq)
        if score is not None and late is not None:
            late.score = score

    def copy(self) -> ViewBank:
        """The views as they are after every step sent (they go on over there)."""
        views = self._views("copy")
        if self.lost is None:
            # what it is learnt again from should the process be lost (a copy of it, then)
            self._known, self.queued = views, []
        return views

    def back(self) -> ViewBank:
        """The views here, every step sent taken, and their process ended."""
        views = self._views("back")
        self.close()
        return views

    def _views(self, kind: str) -> ViewBank:
        """The views from over there, with the scores kept there of steps not read yet (so
        that none depends on the steps before), or as learnt here if the process is lost."""
        got = self._ask(kind)
        if got is None:
            assert self.lost is not None
            return self.lost
        views, scores = got
        self._fill(scores)
        return views  # type: ignore[no-any-return]

    def _fill(self, scores: dict[int, FloatArray]) -> None:
        for seq, score in scores.items():
            late = self._live.get(seq)
            if late is not None and late.score is None:
                late.score = score

    def _learn_here(self) -> None:
        """The process is lost: its views learnt here from what was last known of them."""
        if self.lost is not None:
            return
        known = self._known
        if isinstance(known, ViewBank):
            views = copy.deepcopy(known)
        else:
            views = _learn_views(*known)
        for seq, minute, n, x in self.queued:
            score = views.step(*_view_inputs(views, n, minute, x))[:n]
            late = self._live.get(seq)
            if late is not None and late.score is None:
                late.score = score
        self.lost, self.queued = views, []
        self.close()

    def close(self) -> None:
        self._outbox.put(None)  # the process ends once its requests do


def _serve_views(requests: Any, replies: Any) -> None:
    """The views' own process (`_Aside`): learn the history, then take steps as they come."""
    views: ViewBank | None = None
    scores: dict[int, FloatArray] = {}
    seq = 0
    while True:
        try:
            message = requests.recv()
        except (EOFError, OSError):
            return
        kind = message[0]
        if kind == "learn":
            views = _learn_views(*message[1:])
            continue
        assert views is not None
        if kind == "step":
            _, minute, n, x, forgotten = message
            for old in forgotten:
                scores.pop(old, None)
            seq += 1
            scores[seq] = views.step(*_view_inputs(views, n, minute, x))[:n]
        elif kind == "score":
            replies.send(scores.pop(message[1]))
        elif kind == "copy":
            replies.send((views, scores))
            scores = {}
        elif kind == "back":
            replies.send((views, scores))
            return


@dataclass(frozen=True, slots=True)
class _Evaluation:
    expected: FloatArray
    score: FloatArray
    uncertainty: FloatArray
    agg_counts: FloatArray
    agg_expected: FloatArray
    # what `_learn` of the same minute reads again, worked out once: the baseline's factors,
    # phi as float64 (learnt in place), the spread's variance and deviation, and the distance
    # from the expected count on the Anscombe scale and that count there
    factors: Factors
    phi: FloatArray
    variance: FloatArray
    deviation: FloatArray
    distance: FloatArray
    anscombe_expected: FloatArray


def _rate(halflife: float) -> float:
    return 1.0 - math.exp(-math.log(2.0) / halflife)


class SeriesBank:
    """Baseline, score and decision for many per-minute count series (module docstring).

    Config (all constructor args):
    - level_halflife, day_halflife, week_halflife: baseline memory (minutes, days, weeks).
    - window: minutes pooled by the second view of the score (an exponential window).
    - z_half: the standardised excess that scores 0.5; 2 * z_half scores 0.8.
    - min_excess: counts above expected that halve the weight of the evidence.
    - cold_start: minutes of history that double the uncertainty of a young series.
    - phi_prior, phi_min, phi_halflife: squared relative error of the baseline, assumed at
      first (the daily rhythm is unknown), never below phi_min, then learnt (minutes).
    - learn_below: minutes scoring at or above it are anomalous and learnt with
      `anomaly_weight` only.
    - clip_z: learnt counts are clipped this many deviations above expected.
    - possible, detected, persist, clear: the `LevelFilter` that turns scores into levels.
    - seed: part of the detector contract; the bank draws no random numbers.
    """

    def __init__(
        self,
        seed: int = 0,
        level_halflife: float = 1440.0,
        day_halflife: float = 7.0,
        week_halflife: float = 4.0,
        window: float = 5.0,
        z_half: float = 4.0,
        min_excess: float = 3.0,
        cold_start: float = 10.0,
        phi_prior: float = 0.25,
        phi_min: float = 0.001,
        phi_halflife: float = 1440.0,
        learn_below: float = 0.5,
        anomaly_weight: float = 0.1,
        clip_z: float = 3.0,
        possible: float = 0.5,
        detected: float = 0.75,
        persist: int = 3,
        clear: int = 10,
    ) -> None:
        if window < 1 or z_half <= 0 or min_excess < 0 or cold_start < 0:
            raise ValueError("window >= 1, z_half > 0, min_excess >= 0, cold_start >= 0")
        if not 0 < phi_min <= phi_prior or phi_halflife <= 0 or clip_z <= 0:
            raise ValueError("0 < phi_min <= phi_prior; phi_halflife and clip_z positive")
        if not 0.0 <= anomaly_weight <= 1.0:
            raise ValueError("anomaly_weight must be in [0, 1]")
        self.seed = seed
        self.window = window
        self.z_half = z_half
        self.min_excess = min_excess
        self.cold_start = cold_start
        self.phi_prior = phi_prior
        self.phi_min = phi_min
        self.phi_halflife = phi_halflife
        self.learn_below = learn_below
        self.anomaly_weight = anomaly_weight
        self.clip_z = clip_z
        self._baseline = SeasonalBaseline(level_halflife, day_halflife, week_halflife)
        self._filter = LevelFilter(
            possible=possible, detected=detected, persist=persist, clear=clear
        )
        self._a_window = 1.0 / window
        self._a_phi = _rate(phi_halflife)
        self._keys: list[SeriesKey] = []
        self._index: dict[SeriesKey, int] = {}
        self._last_minute: int | None = None
        self._phi = np.zeros(0, np.float32)
        self._ewm_count = np.zeros(0, np.float32)
        self._ewm_expected = np.zeros(0, np.float32)
        self._views = ViewBank(seed=seed)
        self._aside: _Aside | None = None

    # -- series ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> list[SeriesKey]:
        """Series keys in index order."""
        return list(self._keys)

    @property
    def last_minute(self) -> int | None:
        return self._last_minute

    def index(self, key: SeriesKey) -> int:
        """The stable index of `key`, adding the series (as brand new) if unknown."""
        found = self._index.get(key)
        if found is not None:
            return found
        i = len(self._keys)
        self._keys.append(key)
        self._index[key] = i
        self._resize(i + 1)
        return i

    def find(self, key: SeriesKey) -> int | None:
        """The index of `key`, or None: never adds."""
        return self._index.get(key)

    def positions(self, keys: Iterable[SeriesKey]) -> list[int | None]:
        """`find` of each key, looked up in C."""
        return list(map(self._index.get, keys))

    def _resize(self, n: int) -> None:
        self._baseline.resize(n)
        cap = self._phi.shape[0]
        if n > cap:
            new_cap = max(n, 2 * cap, 16)
            self._phi = _grown(self._phi, new_cap, self.phi_prior)
            self._ewm_count = _grown(self._ewm_count, new_cap, 0.0)
            self._ewm_expected = _grown(self._ewm_expected, new_cap, 0.0)

    # -- minutes ---------------------------------------------------------------------------

    def expected_at(self, minute: int) -> FloatArray:
        """The usual count of every series at `minute` (for baseline bands), learning nothing."""
        return self._baseline.expected(minute)

    def peek(self, minute: int, counts: npt.ArrayLike) -> TickResult:
        """What `step` would score for these counts, changing nothing (levels as they stand)."""
        x = self._counts(counts)
        ev = self._evaluate(minute, x)
        self._views_now()
        views = self._views.score(*self._view_inputs(minute, x))[: len(self)]
        return TickResult(minute, ev.expected, ev.score, self._current_levels(), views)

    def step(self, minute: int, counts: npt.ArrayLike) -> TickResult:
        """Score this minute's counts (one per series, 0 where none), then learn from them."""
        self._check_minute(minute)
        x = self._counts(counts)
        ev = self._evaluate(minute, x)
        self._learn(minute, x, ev)
        level = self._filter.step(ev.score)
        aside = self._aside
        if aside is not None and aside.lost is not None:
            self._views, self._aside = aside.lost, None
        if self._aside is None:
            views: FloatArray | _Late = self._views.step(*self._view_inputs(minute, x))[: len(self)]
        else:
            views = self._aside.step(minute, len(self), x)
        return TickResult(minute, ev.expected, ev.score, level, views)

    def _views_now(self) -> None:
        """The views back in this process, every step taken."""
        aside = self._aside
        if aside is not None:
            self._views, self._aside = aside.back(), None

    def _views_copy(self) -> ViewBank:
        """The views as they are, wherever they run."""
        aside = self._aside
        if aside is None:
            return self._views
        views = aside.copy()
        if aside.lost is not None:
            self._views, self._aside = aside.lost, None
        return views

    def _view_inputs(self, minute: int, x: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
        """The views' values (counts on the Anscombe scale; NaN for spare rows) and slot."""
        self._views_now()
        return _view_inputs(self._views, len(self), minute, x)

    def warm(self, start_minute: int, counts: npt.ArrayLike) -> None:
        """Learn history fast: `counts[i, j]` is series i at minute start_minute + j.

        Rows are the series already indexed, in index order (fewer rows than series leaves
        the rest at zero). Anomalies in the history are skipped as they would be live; levels
        are not touched. A long history has the views learn it in a process of their own
        (they read the counts alone, never the baseline): the same arrays, on the other core,
        while the baseline learns it here and the first steps after it are taken. The views
        then stay there, each step sent over (`_Aside`): the tick never reads them, and their
        step was most of the bank's own. A step waits for them only when its score is read,
        or every `_QUEUED_AT_MOST` steps, until they have caught up.
        """
        c = np.asarray(counts, dtype=np.float64)
        if c.ndim != 2 or c.shape[0] > len(self):
            raise ValueError("history must be (series already indexed, minutes)")
        if c.shape[1] == 0:
            return
        self._check_minute(start_minute)
        self._views_now()
        n = len(self)
        aside = _views_aside(self._views, n, start_minute, c) if c.size >= ASIDE_AT else None
        if aside is not None:
            # the bank's end ends the views' process
            weakref.finalize(self, aside.close)
        rows = c.shape[0]
        # a day of minutes at a time laid out minute by minute (each a contiguous row, where a
        # column of the history is a read from every series' row) with their Anscombe values
        # worked out together: the same numbers as a minute at a time
        for lo in range(0, c.shape[1], 1440):
            hi = min(lo + 1440, c.shape[1])
            xs = np.zeros((hi - lo, n), np.float64)
            xs[:, :rows] = c[:, lo:hi].T
            ansc = anscombe(xs)
            for j in range(hi - lo):
                x = xs[j]
                minute = start_minute + lo + j
                self._learn(minute, x, self._evaluate(minute, x, ansc[j]))
                if aside is None:
                    self._views.step(*self._view_inputs(minute, x))
                self._last_minute = minute
        self._aside = aside

    def _check_minute(self, minute: int) -> None:
        if self._last_minute is not None and minute <= self._last_minute:
            raise ValueError(f"minute {minute} is not after the last one ({self._last_minute})")
        self._last_minute = minute

    def _counts(self, counts: npt.ArrayLike) -> FloatArray:
        x = np.asarray(counts, dtype=np.float64)
        if x.shape != (len(self),):
            raise ValueError(f"expected {len(self)} counts, one per series, got {x.shape}")
        if not np.all(np.isfinite(x)) or np.any(x < 0):
            raise ValueError("counts must be finite and non-negative")
        return x

    def _current_levels(self) -> LevelArray:
        levels = np.zeros(len(self), np.int8)
        known = self._filter.levels
        levels[: known.shape[0]] = known
        return levels

    def _evaluate(
        self, minute: int, x: FloatArray, anscombe_x: FloatArray | None = None
    ) -> _Evaluation:
        n = len(self)
        factors = self._baseline.factors(minute)
        mu = self._baseline.expected(minute, factors)
        seen = self._baseline.seen
        # A young series knows little about its own level: widen its spread (infinitely for
        # one never seen, which therefore scores 0).
        with np.errstate(divide="ignore", invalid="ignore"):
            uncertainty = np.where(seen > 0, 1.0 + self.cold_start / seen, np.inf)
        fresh = seen == 0
        a = self._a_window
        ewc = np.where(fresh, x, self._ewm_count[:n] + a * (x - self._ewm_count[:n]))
        ewe = np.where(fresh, mu, self._ewm_expected[:n] + a * (mu - self._ewm_expected[:n]))
        agg_x = ewc * self.window
        agg_mu = ewe * self.window
        phi = self._phi[:n].astype(np.float64)
        # excess_z(x, mu, variance), its parts kept for `_learn`
        variance = (1.0 + phi * mu) * uncertainty
        deviation = np.sqrt(variance)
        anscombe_mu = anscombe(mu)
        distance = (anscombe(x) if anscombe_x is None else anscombe_x) - anscombe_mu
        z1 = np.maximum(distance / deviation, 0.0)
        z1 *= evidence_weight(x, mu, self.min_excess)
        za = excess_z(agg_x, agg_mu, (1.0 + phi * agg_mu) * uncertainty)
        za *= evidence_weight(agg_x, agg_mu, self.min_excess)
        score = squash(np.maximum(z1, za), self.z_half)
        return _Evaluation(
            mu,
            score,
            uncertainty,
            agg_x,
            agg_mu,
            factors,
            phi,
            variance,
            deviation,
            distance,
            anscombe_mu,
        )

    def _learn(self, minute: int, x: FloatArray, ev: _Evaluation) -> None:
        n = len(self)
        weight = np.where(ev.score < self.learn_below, 1.0, self.anomaly_weight)
        self._ewm_count[:n] = ev.agg_counts / self.window
        self._ewm_expected[:n] = ev.agg_expected / self.window

        mu = ev.expected
        phi = ev.phi
        variance = ev.variance
        seen = self._baseline.seen
        # Each minute gives a noisy estimate of phi (E[r^2] = 1 + phi * mu); the prior counts
        # as `cold_start` minutes of evidence.
        r2 = np.minimum(np.square(ev.distance), self.clip_z**2 * variance)
        estimate = (r2 - 1.0) / np.maximum(mu, 1.0)
        a_phi = np.where(seen > 0, np.maximum(self._a_phi, 1.0 / (seen + self.cold_start)), 0.0)
        phi += weight * a_phi * (estimate - phi)
        self._phi[:n] = np.clip(phi, self.phi_min, 1.0)

        ceiling = anscombe_inverse(ev.anscombe_expected + self.clip_z * ev.deviation)
        self._baseline.learn(minute, np.minimum(x, ceiling), weight, ev.factors)

    # -- persistence -----------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild an empty bank like this one."""
        cfg: dict[str, Any] = {"seed": self.seed}
        cfg.update(self._baseline.config())
        cfg.update(
            window=self.window,
            z_half=self.z_half,
            min_excess=self.min_excess,
            cold_start=self.cold_start,
            phi_prior=self.phi_prior,
            phi_min=self.phi_min,
            phi_halflife=self.phi_halflife,
            learn_below=self.learn_below,
            anomaly_weight=self.anomaly_weight,
            clip_z=self.clip_z,
        )
        fc = self._filter.config()
        cfg.update(
            possible=fc["possible"],
            detected=fc["detected"],
            persist=fc["persist"],
            clear=fc["clear"],
        )
        return cfg

    def state(self) -> State:
        """Everything the bank knows, as numpy arrays: `np.savez(path, **bank.state())`."""
        n = len(self)
        keys = np.array([[k.service, k.signal, k.region] for k in self._keys], dtype=np.str_)
        state: State = {
            "config": np.array(json.dumps(self.config())),
            "keys": keys.reshape(n, 3),
            "last_minute": np.array(-1 if self._last_minute is None else self._last_minute),
            "phi": self._phi[:n].copy(),
            "ewm_count": self._ewm_count[:n].copy(),
            "ewm_expected": self._ewm_expected[:n].copy(),
        }
        for name, arr in self._baseline.state().items():
            state[f"baseline_{name}"] = arr
        for name, arr in self._filter.state().items():
            state[f"filter_{name}"] = arr
        views = self._views_copy()
        state["views_config"] = np.array(json.dumps(views.config()))
        for name, arr in views.state().items():
            state[f"views_{name}"] = arr
        return state

    @classmethod
    def from_state(cls, state: State) -> SeriesBank:
        """A bank that continues exactly where the one that gave `state` stopped."""
        bank = cls(**json.loads(str(state["config"])))
        for service, signal, region in np.asarray(state["keys"]).reshape(-1, 3).tolist():
            bank.index(SeriesKey(str(service), str(signal), str(region)))
        last = int(state["last_minute"])
        bank._last_minute = None if last < 0 else last
        bank._phi = np.asarray(state["phi"], np.float32).copy()
        bank._ewm_count = np.asarray(state["ewm_count"], np.float32).copy()
        bank._ewm_expected = np.asarray(state["ewm_expected"], np.float32).copy()
        bank._baseline.load_state(
            {k[len("baseline_") :]: v for k, v in state.items() if k.startswith("baseline_")}
        )
        bank._filter.load_state(
            {k[len("filter_") :]: v for k, v in state.items() if k.startswith("filter_")}
        )
        if "views_config" in state:
            bank._views = ViewBank(**json.loads(str(state["views_config"])))
            bank._views.load_state(
                {
                    k[len("views_") :]: v
                    for k, v in state.items()
                    if k.startswith("views_") and k != "views_config"
                }
            )
        # A state saved before the views existed leaves them to learn from here on.
        return bank

    def nbytes_per_series(self) -> float:
        """State bytes per series at the current capacity (keys and index excluded)."""
        cap = max(self._phi.shape[0], 1)
        own = (self._phi.nbytes + self._ewm_count.nbytes + self._ewm_expected.nbytes) / cap
        filt = sum(a.nbytes for a in self._filter.state().values()) / max(len(self), 1)
        views = self._views_copy().nbytes_per_series()
        return self._baseline.nbytes_per_series() + own + filt + views


def _view_inputs(
    views: ViewBank, n: int, minute: int, x: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    cap = len(views)
    if cap < n:
        # grown like the other arrays, so that adding series one by one stays cheap
        views.resize(max(n, 2 * cap, 16))
        cap = len(views)
    values = np.full(cap, np.nan)
    values[:n] = anscombe(x)
    return values, views.slot_of((minute % 1440) * 60)


def _learn_views(
    views: ViewBank, n: int, start_minute: int, counts: npt.NDArray[np.floating[Any]]
) -> ViewBank:
    """The views of `SeriesBank.warm` alone: what their own process runs."""
    full = np.zeros(n, np.float64)
    rows = counts.shape[0]
    for j in range(counts.shape[1]):
        full[:rows] = counts[:, j]
        views.step(*_view_inputs(views, n, start_minute + j, full))
    return views


def _views_aside(views: ViewBank, n: int, start_minute: int, counts: FloatArray) -> _Aside | None:
    """The views learning `counts` in a process of their own, or None where none starts."""
    # whole counts travel as float32, half the bytes, when that loses nothing
    small = counts.astype(np.float32)
    sent = small if np.array_equal(small, counts) else counts
    try:
        return _Aside(views, n, start_minute, counts, sent)
    except (OSError, ValueError, RuntimeError):
        return None


def _grown(a: npt.NDArray[Any], cap: int, fill: float) -> npt.NDArray[Any]:
    out = np.full(cap, fill, a.dtype)
    out[: a.shape[0]] = a
    return out
