"""`rasd eval scenarios`: the labelled scenarios replayed and scored, with a bar while they
run and the tables of what was found (`rasd.eval.scenarios` does the scoring)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from rasd.errors import RasdError
from rasd.eval.scenarios import ScenarioResult, evaluate_one, overall, report, select

if TYPE_CHECKING:
    from rasd.eval.scoring import Tally
    from rasd.sim import Scenario

_console = Console()


def eval_scenarios(
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Run only this scenario (name or TOML file); repeatable."),
    ] = None,
    scale: Annotated[
        float, typer.Option(help="Multiply every scenario's volumes by this.", min=0.0001)
    ] = 1.0,
    history_days: Annotated[
        int, typer.Option(help="Days of usual traffic learnt before each scenario.", min=1)
    ] = 7,
    jobs: Annotated[
        int, typer.Option(help="Scenarios run at once, each in its own process.", min=1)
    ] = 1,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Save every figure to this JSON file (after each scenario)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit with status 1 when a target is missed.")
    ] = False,
    reports_only: Annotated[
        bool,
        typer.Option(
            "--reports-only",
            help="Feed the reports alone (no posts, probes, routes or statements): what the "
            "reports tell by themselves, and how soon.",
        ),
    ] = False,
) -> None:
    """Replay the labelled scenarios through the pipeline and score what it found."""
    if not _console.is_terminal:
        # a file or a pipe gets the tables whole rather than cut to 80 columns
        _console.width = max(_console.width, 150)
    try:
        scenarios = select(only, scale)
    except RasdError as exc:
        _console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(code=2) from exc

    def save(done: Sequence[ScenarioResult]) -> None:
        if json_file is None:
            return
        data = report(done, scale=scale, history_days=history_days, reports_only=reports_only)
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")

    results = _run_all(scenarios, history_days, jobs, save, reports_only=reports_only)
    _console.print(_results_table(results))
    _console.print(_checks_table(results))
    _console.print(_runs_table(results))
    if json_file is not None:
        _console.print(f"figures saved to {json_file}")
    if check and not all(c.passed for r in results for c in r.checks):
        raise typer.Exit(code=1)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.fields[name]}[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} simulated min"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=_console,
    )


def _told(bar: Progress, result: ScenarioResult) -> None:
    failed = [c.name for c in result.checks if not c.passed]
    t = result.score.tally
    bar.console.print(
        f"{result.name}: {t.truth} true, {t.found} found, {t.missed} missed, {t.false} false"
        + (f"; [red]missed targets: {', '.join(failed)}[/red]" if failed else "")
    )


def _run_all(
    scenarios: Sequence[Scenario],
    history_days: int,
    jobs: int,
    save: Callable[[Sequence[ScenarioResult]], None],
    *,
    reports_only: bool = False,
) -> list[ScenarioResult]:
    if jobs > 1 and len(scenarios) > 1:
        return _run_parallel(scenarios, history_days, jobs, save, reports_only=reports_only)
    total = sum(_minutes(s) for s in scenarios)
    results: list[ScenarioResult] = []
    with _progress() as bar:
        task = bar.add_task("", total=total, name="")
        for i, scenario in enumerate(scenarios, 1):
            label = f"{scenario.name} ({i}/{len(scenarios)})"
            bar.update(task, name=label)

            def phase(text: str, label: str = label) -> None:
                bar.update(task, description=text, name=label)

            def minute(_m: int) -> None:
                bar.advance(task)

            result = evaluate_one(
                scenario,
                history_days=history_days,
                reports_only=reports_only,
                on_minute=minute,
                on_phase=phase,
            )
            results.append(result)
            _told(bar, result)
            save(results)
        bar.update(task, description="done", name="")
    return results


def _run_parallel(
    scenarios: Sequence[Scenario],
    history_days: int,
    jobs: int,
    save: Callable[[Sequence[ScenarioResult]], None],
    *,
    reports_only: bool = False,
) -> list[ScenarioResult]:
    """Each scenario in a process of its own; the bar moves as whole scenarios finish."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # the longest first, so that one long run does not start last
    order = sorted(range(len(scenarios)), key=lambda i: -_weight(scenarios[i]))
    done: dict[int, ScenarioResult] = {}
    with _progress() as bar, ProcessPoolExecutor(max_workers=jobs) as pool:
        task = bar.add_task(f"{jobs} at a time", total=sum(_minutes(s) for s in scenarios), name="")
        futures = {
            pool.submit(
                evaluate_one, scenarios[i], history_days=history_days, reports_only=reports_only
            ): i
            for i in order
        }
        for future in as_completed(futures):
            i = futures[future]
            done[i] = future.result()
            bar.advance(task, _minutes(scenarios[i]))
            _told(bar, done[i])
            save([done[k] for k in sorted(done)])
    return [done[i] for i in range(len(scenarios))]


def _weight(s: Scenario) -> float:
    """A rough cost: every simulated minute, and every thousand reports of its events."""
    return _minutes(s) + sum((e.total or 0.0) * s.scale for e in s.events) / 1000.0


def _minutes(s: Scenario) -> int:
    return int((s.end - s.start).total_seconds() // 60)


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _delay(t: Tally) -> str:
    if t.delay_median is None:
        return "-"
    return f"{t.delay_median:g} / {t.delay_max:g}"


def _results_table(results: Sequence[ScenarioResult]) -> Table:
    table = Table(title="detection on labelled scenarios")
    table.add_column("scenario", no_wrap=True)
    for name in (
        "true",
        "found",
        "missed",
        "false",
        "false /\nsvc-day",
        "split",
        "delay min\nmed / max",
        "grouping",
        "spill P",
        "spill R",
        "end err\nmed min",
    ):
        table.add_column(name, justify="right")

    def row(name: str, t: Tally, style: str | None = None) -> None:
        table.add_row(
            name,
            str(t.truth),
            str(t.found),
            str(t.missed),
            str(t.false),
            f"{t.false_per_service_day:.4f}",
            str(t.split),
            _delay(t),
            _num(t.grouping_accuracy),
            _num(t.spill_precision),
            _num(t.spill_recall),
            _num(t.end_error_median, "{:g}"),
            style=style,
        )

    for result in results:
        row(result.name, result.score.tally)
    if len(results) > 1:
        table.add_section()
        row("overall", overall(results), "bold")
        quiet = [r for r in results if r.run.scenario.truth.quiet]
        if quiet:
            row("nothing down", overall(quiet))
    return table


def _checks_table(results: Sequence[ScenarioResult]) -> Table:
    table = Table(title="targets")
    table.add_column("scenario")
    table.add_column("target")
    table.add_column("met")
    table.add_column("detail")
    for result in results:
        for c in result.checks:
            met = "[green]yes[/green]" if c.passed else "[red]no[/red]"
            table.add_row(result.name, c.name, met, c.detail)
    return table


def _runs_table(results: Sequence[ScenarioResult]) -> Table:
    table = Table(title="runs")
    for name in ("scenario", "scale", "minutes", "reports", "posts", "probe results"):
        table.add_column(name, justify="left" if name == "scenario" else "right")
    for name in ("history s", "replay s", "replay cpu s", "reports/s"):
        table.add_column(name, justify="right")
    for result in results:
        run = result.run
        table.add_row(
            result.name,
            f"{run.scenario.scale:g}",
            f"{run.stats.minutes:,}",
            f"{run.stats.reports:,}",
            f"{run.stats.posts:,}",
            f"{run.stats.probes:,}",
            f"{run.seconds.get('history', 0.0):.1f}",
            f"{run.seconds.get('replay', 0.0):.1f}",
            f"{run.seconds.get('replay_cpu', 0.0):.1f}",
            f"{run.stats.reports_per_second:,.0f}",
        )
    return table
