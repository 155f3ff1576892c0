"""Scoring: what the pipeline found in a scenario against what the scenario says happened.

A found incident *matches* a true one when it is of the same service and its span (open ones
run to the end of the window) overlaps the true span widened by `slack` minutes each side.
From the matches:

- detection delay: when the first matching incident was known, minus the true onset. An
  incident opened by the tick of minute m is known when that minute is over (m + 1), since a
  tick can only run once its minute is complete; the delay counts to then.
- missed: true incidents nothing matched.
- false: found incidents that match no true incident; per service-day, over every catalog
  service for the scenario's length.
- split: true incidents matched by more than one found incident (a flapping service told as
  several outages).
- grouping accuracy: over every pair of found true incidents, the share the pipeline got
  right about "same event or not" (a Rand index); spill-over belongs to the event it echoes.
- spill-over precision: of found incidents labelled spill-over, the share that match a true
  spill-over; recall: of true spill-over incidents, the share found and labelled so.
- end-time error: the last matching incident's end (the window's end while still open)
  minus the true end, in minutes.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rasd.eval.findings import FoundIncident
from rasd.sim.truth import GroundTruth, TruthIncident

DEFAULT_SLACK = 10  # minutes


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60.0


def matches(
    truth: TruthIncident, found: FoundIncident, window_end: datetime, slack: int = DEFAULT_SLACK
) -> bool:
    if found.service != truth.service:
        return False
    pad = timedelta(minutes=slack)
    found_end = found.end if found.end is not None else window_end
    return found.start <= truth.end + pad and found_end >= truth.start - pad


def detection_delay(truth: TruthIncident, found: Sequence[FoundIncident]) -> float | None:
    """Minutes from the true onset until the first of `found` was known."""
    if not found:
        return None
    known = min(f.detected_at for f in found) + timedelta(minutes=1)
    return _minutes(known - truth.start)


def end_error(
    truth: TruthIncident, found: Sequence[FoundIncident], window_end: datetime
) -> float | None:
    """Minutes the found end is late (positive) or early (negative)."""
    if not found:
        return None
    last = max(f.end if f.end is not None else window_end for f in found)
    return _minutes(last - truth.end)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One true incident and what was found of it."""

    truth: TruthIncident
    found: tuple[str, ...]  # ids of matching found incidents, earliest first
    delay: float | None
    end_error: float | None
    event: str | None  # the found event of its first match
    role: str | None  # its role there

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.truth.to_dict(),
            "found": list(self.found),
            "delay_minutes": self.delay,
            "end_error_minutes": self.end_error,
            "found_event": self.event,
            "found_role": self.role,
        }


@dataclass
class Tally:
    """Figures that add up across scenarios."""

    truth: int = 0
    found: int = 0
    missed: int = 0
    false: int = 0
    split: int = 0
    service_days: float = 0.0
    pairs: int = 0
    pairs_right: int = 0
    spill_labelled: int = 0
    spill_labelled_right: int = 0
    spill_truth: int = 0
    spill_truth_labelled: int = 0
    delays: list[float] = field(default_factory=list)
    end_errors: list[float] = field(default_factory=list)

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            truth=self.truth + other.truth,
            found=self.found + other.found,
            missed=self.missed + other.missed,
            false=self.false + other.false,
            split=self.split + other.split,
            service_days=self.service_days + other.service_days,
            pairs=self.pairs + other.pairs,
            pairs_right=self.pairs_right + other.pairs_right,
            spill_labelled=self.spill_labelled + other.spill_labelled,
            spill_labelled_right=self.spill_labelled_right + other.spill_labelled_right,
            spill_truth=self.spill_truth + other.spill_truth,
            spill_truth_labelled=self.spill_truth_labelled + other.spill_truth_labelled,
            delays=self.delays + other.delays,
            end_errors=self.end_errors + other.end_errors,
        )

    @property
    def false_per_service_day(self) -> float:
        return self.false / self.service_days if self.service_days else 0.0

    @property
    def grouping_accuracy(self) -> float | None:
        return self.pairs_right / self.pairs if self.pairs else None

    @property
    def spill_precision(self) -> float | None:
        return self.spill_labelled_right / self.spill_labelled if self.spill_labelled else None

    @property
    def spill_recall(self) -> float | None:
        return self.spill_truth_labelled / self.spill_truth if self.spill_truth else None

    @property
    def delay_median(self) -> float | None:
        return statistics.median(self.delays) if self.delays else None

    @property
    def delay_max(self) -> float | None:
        return max(self.delays) if self.delays else None

    @property
    def end_error_median(self) -> float | None:
        """The median of the errors' sizes: how far off an end typically is."""
        return statistics.median(abs(e) for e in self.end_errors) if self.end_errors else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "truth_incidents": self.truth,
            "found_incidents": self.found,
            "missed": self.missed,
            "false": self.false,
            "split": self.split,
            "service_days": round(self.service_days, 4),
            "false_per_service_day": self.false_per_service_day,
            "grouping_pairs": self.pairs,
            "grouping_accuracy": self.grouping_accuracy,
            "spillover_precision": self.spill_precision,
            "spillover_recall": self.spill_recall,
            "delay_median_minutes": self.delay_median,
            "delay_max_minutes": self.delay_max,
            "end_error_median_minutes": self.end_error_median,
        }


@dataclass(frozen=True, slots=True)
class Score:
    tally: Tally
    outcomes: list[Outcome]
    false: list[FoundIncident]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.tally.to_dict(),
            "outcomes": [o.to_dict() for o in self.outcomes],
            "false_incidents": [f.to_dict() for f in self.false],
        }


def score(
    truth: GroundTruth,
    found: Iterable[FoundIncident],
    *,
    window_start: datetime,
    window_end: datetime,
    services: int,
    slack: int = DEFAULT_SLACK,
) -> Score:
    """Score one scenario's findings; `services` is the number of services watched."""
    found = sorted(found, key=lambda f: (f.detected_at, f.start, f.id))
    tally = Tally(
        truth=len(truth.incidents),
        found=len(found),
        service_days=services * _minutes(window_end - window_start) / 1440.0,
    )
    outcomes: list[Outcome] = []
    matched: set[str] = set()
    for t in truth.incidents:
        mine = [f for f in found if matches(t, f, window_end, slack)]
        matched.update(f.id for f in mine)
        first = mine[0] if mine else None
        outcome = Outcome(
            truth=t,
            found=tuple(f.id for f in mine),
            delay=detection_delay(t, mine),
            end_error=end_error(t, mine, window_end),
            event=first.event if first else None,
            role=first.role if first else None,
        )
        outcomes.append(outcome)
        if not mine:
            tally.missed += 1
            continue
        if len(mine) > 1:
            tally.split += 1
        assert outcome.delay is not None and outcome.end_error is not None
        tally.delays.append(outcome.delay)
        tally.end_errors.append(outcome.end_error)
    false = [f for f in found if f.id not in matched]
    tally.false = len(false)

    seen = [o for o in outcomes if o.found]
    for i, a in enumerate(seen):
        for b in seen[i + 1 :]:
            same_truth = a.truth.event == b.truth.event
            same_found = a.event is not None and a.event == b.event
            tally.pairs += 1
            tally.pairs_right += same_truth == same_found

    true_spill = {fid for o in outcomes if o.truth.role == "spillover" for fid in o.found}
    labelled = [f for f in found if f.role == "spillover"]
    tally.spill_labelled = len(labelled)
    tally.spill_labelled_right = sum(f.id in true_spill for f in labelled)
    by_id = {f.id: f for f in found}
    spill_outcomes = [o for o in outcomes if o.truth.role == "spillover"]
    tally.spill_truth = len(spill_outcomes)
    tally.spill_truth_labelled = sum(
        any(by_id[fid].role == "spillover" for fid in o.found) for o in spill_outcomes
    )
    return Score(tally, outcomes, false)
