"""Targets: the promises detection must keep, checked on a scored scenario.

On the reference event (Meta, 4 October 2021): the event is open at most two minutes after
the reports start rising, the four apps are primary in that one event, and every service
whose reports rose in its wake is in it as spill-over. On every scenario where nothing is
down (a quiet week, a final, New Year's Eve, a launch, a bot flood): no incident at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasd.eval.scoring import Score
from rasd.sim.truth import GroundTruth

REFERENCE = "meta-2021-10-04"
REFERENCE_EVENT = "meta-backbone"
REFERENCE_APPS = ("facebook", "instagram", "whatsapp", "messenger")
REFERENCE_MAX_DELAY = 2.0  # minutes


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


def checks(name: str, truth: GroundTruth, score: Score) -> list[Check]:
    out: list[Check] = []
    if truth.quiet:
        found = ", ".join(sorted({f.service for f in score.false})) or "none"
        out.append(Check("no false incident", score.tally.false == 0, f"false incidents: {found}"))
    if name == REFERENCE:
        out.extend(_reference(score))
    return out


def _reference(score: Score) -> list[Check]:
    mine = [o for o in score.outcomes if o.truth.event == REFERENCE_EVENT]
    failing = [o for o in mine if o.truth.role != "spillover"]
    delays = [o.delay for o in failing if o.delay is not None]
    first = min(delays) if delays else None
    opened = Check(
        f"event open <= {REFERENCE_MAX_DELAY:g} min after reports rise",
        first is not None and first <= REFERENCE_MAX_DELAY,
        "never opened" if first is None else f"{first:g} min",
    )

    apps = {o.truth.service: o for o in failing if o.truth.service in REFERENCE_APPS}
    events = {o.event for o in apps.values()}
    together = (
        set(apps) == set(REFERENCE_APPS)
        and len(events) == 1
        and None not in events
        and all(o.role == "primary" for o in apps.values())
    )
    placed = ", ".join(
        f"{s}: {apps[s].event or 'missed'} ({apps[s].role or '-'})" if s in apps else f"{s}: -"
        for s in REFERENCE_APPS
    )
    four = Check("all four apps primary in one event", together, placed)

    home = apps["facebook"].event if "facebook" in apps else None
    echoes = [o for o in mine if o.truth.role == "spillover"]
    wrong = [
        f"{o.truth.service} ({'missed' if not o.found else o.role or '-'})"
        for o in echoes
        if not (o.found and o.role == "spillover" and home is not None and o.event == home)
    ]
    spill = Check(
        "spill-over services labelled as such",
        bool(echoes) and not wrong,
        f"{len(echoes) - len(wrong)}/{len(echoes)} right"
        + (f"; not: {', '.join(wrong)}" if wrong else ""),
    )
    return [opened, four, spill]
