"""Scoring detection on the labelled scenarios: the proof of detection.

Every labelled scenario (`rasd scenarios` lists them) is replayed through the real pipeline
in process (see `rasd.eval.scenario_run`), and what it found is scored against the
scenario's ground truth (see `rasd.eval.scoring` for what each figure means). The targets
of `rasd.eval.targets` are checked on the way. The command is `rasd eval scenarios`
(`rasd.cli.eval_scenarios`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasd.eval.scenario_run import ScenarioRun
    from rasd.eval.scoring import Score, Tally
    from rasd.eval.targets import Check
    from rasd.sim import Scenario


@dataclass(frozen=True)
class ScenarioResult:
    run: ScenarioRun
    score: Score
    checks: list[Check]

    @property
    def name(self) -> str:
        return self.run.scenario.name

    def to_dict(self) -> dict[str, Any]:
        sc = self.run.scenario
        return {
            "name": sc.name,
            "title": {"en": sc.title, "ar": sc.title_ar},
            "start": sc.start.isoformat(),
            "end": sc.end.isoformat(),
            "scale": sc.scale,
            "seed": self.run.seed,
            "services": self.run.services,
            "run": self.run.figures(),
            "score": self.score.to_dict(),
            "checks": [c.to_dict() for c in self.checks],
            "truth": sc.truth.to_dict(),
            "found": self.run.findings.to_dict(),
        }


def evaluate_one(
    scenario: Scenario,
    *,
    history_days: int = 7,
    reports_only: bool = False,
    slack: int | None = None,
    on_minute: Callable[[int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> ScenarioResult:
    # imported here so that `rasd --help` does not load the simulator and the pipeline
    from rasd.eval.scenario_run import run_scenario
    from rasd.eval.scoring import DEFAULT_SLACK, score
    from rasd.eval.targets import checks

    run = run_scenario(
        scenario,
        history_days=history_days,
        reports_only=reports_only,
        on_minute=on_minute,
        on_phase=on_phase,
    )
    truth = scenario.truth
    scored = score(
        truth,
        run.findings.incidents,
        window_start=run.start,
        window_end=run.end,
        services=run.services,
        slack=DEFAULT_SLACK if slack is None else slack,
    )
    return ScenarioResult(run, scored, checks(scenario.name, truth, scored))


def select(names: Sequence[str] | None, scale: float) -> list[Scenario]:
    """The built-in scenarios (or those named, in the order given), scaled."""
    from rasd.sim import list_scenarios, load_scenario

    chosen = [load_scenario(n) for n in names] if names else list_scenarios()
    return [s.scaled(scale) if scale != 1.0 else s for s in chosen]


def overall(results: Sequence[ScenarioResult]) -> Tally:
    from rasd.eval.scoring import Tally

    total = Tally()
    for result in results:
        total = total + result.score.tally
    return total


def report(
    results: Sequence[ScenarioResult],
    *,
    scale: float,
    history_days: int,
    reports_only: bool = False,
) -> dict[str, Any]:
    from rasd.eval.scoring import DEFAULT_SLACK

    every = [c for r in results for c in r.checks]
    return {
        "scale": scale,
        "history_days": history_days,
        "reports_only": reports_only,
        "slack_minutes": DEFAULT_SLACK,
        "overall": overall(results).to_dict(),
        "quiet": overall([r for r in results if r.run.scenario.truth.quiet]).to_dict(),
        "checks_passed": sum(c.passed for c in every),
        "checks": len(every),
        "scenarios": [r.to_dict() for r in results],
    }
