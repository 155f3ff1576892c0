"""`rasd detect-series` and `rasd eval nab`: detectors on any `timestamp,value` series.

`detect-series IN.csv OUT.csv` writes `timestamp,value,anomaly_score`, one row per input row,
each score computed before its row is learnt (no look-ahead). `eval nab DIR` scores a
NAB-shaped folder (see `rasd.eval.nab`) and prints per-file and total normalised scores.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rasd.detect import registry
from rasd.detect.base import Point
from rasd.errors import InvalidInput, RasdError
from rasd.eval import nab, nab_folds

_console = Console()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=_console,
        transient=True,
    )


def _fail(exc: RasdError) -> typer.Exit:
    _console.print(f"[red]error:[/red] {exc.message}")
    return typer.Exit(code=2)


def _detector_name(name: str) -> str:
    if name not in registry.DETECTORS:
        known = ", ".join(registry.names())
        raise typer.BadParameter(f"unknown detector {name!r}; known: {known}")
    return name


DetectorOption = Annotated[
    str, typer.Option("--detector", "-d", help="A registered detector.", callback=_detector_name)
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the detector.")]


def detect_series(
    source: Annotated[Path, typer.Argument(help="CSV with a timestamp,value header.")],
    target: Annotated[Path, typer.Argument(help="Where to write timestamp,value,anomaly_score.")],
    detector: DetectorOption = registry.DEFAULT_SERIES_DETECTOR,
    seed: SeedOption = 0,
) -> None:
    """Score every row of a series in [0, 1], each before it is learnt."""
    try:
        data = nab.read_series(source)
        interval = nab.sampling_interval(data.times)
    except RasdError as exc:
        raise _fail(exc) from exc
    except OSError as exc:
        raise _fail(InvalidInput(f"cannot read {source}: {exc.strerror}")) from exc
    _console.print(
        f"{len(data.times)} rows, one every {interval} (median); detector [bold]{detector}[/bold]"
    )
    model = registry.make(detector, seed=seed)
    scores = np.empty(len(data.times), np.float64)
    with _progress() as progress:
        task = progress.add_task("detecting", total=len(data.times))
        for i, (when, value) in enumerate(zip(data.times, data.values.tolist(), strict=True)):
            scores[i] = model.process_one(Point(when, value))
            if i % 1000 == 999:
                progress.update(task, completed=i + 1)
        progress.update(task, completed=len(data.times))
    with target.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["timestamp", "value", "anomaly_score"])
        for (when_text, value_text), score in zip(data.texts, scores.tolist(), strict=True):
            writer.writerow([when_text, value_text, repr(score)])
    _console.print(f"wrote {target} (highest score {scores.max():.3f})")


def eval_nab(
    folder: Annotated[Path, typer.Argument(help="A NAB-shaped folder: data/, windows.json.")],
    detector: DetectorOption = registry.DEFAULT_SERIES_DETECTOR,
    seed: SeedOption = 0,
    per_file: Annotated[bool, typer.Option(help="Show the per-file table.")] = True,
    folds: Annotated[
        bool, typer.Option(help="Leave-one-family-out table (the views detector).")
    ] = True,
    plot: Annotated[
        Path, typer.Option(help="Where to write the PNG of the score per family.")
    ] = Path("nab_families.png"),
    cache: Annotated[
        Path | None, typer.Option(help="A folder keeping per-file scores between runs.")
    ] = None,
) -> None:
    """Score a detector with the NAB rules, beside the published detectors."""
    try:
        files = nab.load_corpus(folder)
        profiles = nab.load_profiles(folder)
    except RasdError as exc:
        raise _fail(exc) from exc
    except OSError as exc:
        raise _fail(InvalidInput(f"cannot read the corpus in {folder}: {exc}")) from exc
    runs: list[list[nab.FloatArray]] = []
    if detector == "views":
        with _progress() as progress:
            task = progress.add_task("running views", total=len(nab_folds.CANDIDATES) + 1)
            scores = _views_run(files, nab_folds.full_config({"seed": seed}), cache)
            progress.advance(task)
            if folds:
                for overrides in nab_folds.CANDIDATES:
                    config = nab_folds.full_config({**overrides, "seed": seed})
                    runs.append(_views_run(files, config, cache))
                    progress.advance(task)
    else:
        scores = []
        with _progress() as progress:
            task = progress.add_task(f"running {detector}", total=sum(len(f) for f in files))
            for f in files:
                scores.append(nab.run_detector(f, lambda: registry.make(detector, seed=seed)))
                progress.advance(task, len(f))
    result = nab.score_corpus(files, scores, profiles)
    if per_file:
        _console.print(_file_table(result, profiles))
    _console.print(_total_table(result, profiles, detector))
    families = nab_folds.family_scores(result.files, profiles)
    _console.print(_family_table(families, profiles))
    fold_rows: list[nab_folds.Fold] = []
    if runs:
        k, _ = nab_folds.choose(files, runs, profiles, list(range(len(files))))
        fold_rows = nab_folds.folds(files, runs, profiles)
        _console.print(_fold_table(fold_rows, families, profiles, nab_folds.CANDIDATES[k]))
    # matplotlib is a third of a second to import: only the command that plots pays it, not
    # every other command of the same program
    from rasd.eval import nab_plot

    nab_plot.write(plot, families, fold_rows, profiles, f"rasd {detector}")
    _console.print(f"wrote {plot}")


def _views_run(
    files: list[nab.NabFile], config: dict[str, Any], cache: Path | None
) -> list[nab.FloatArray]:
    """`nab.run_views`, kept in `cache` under a name made of the config and the corpus."""
    if cache is None:
        return nab.run_views(files, config)
    key = json.dumps(
        {"config": config, "files": [[f.name, len(f), float(f.values.sum())] for f in files]},
        sort_keys=True,
    )
    path = cache / f"views-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    if path.exists():
        with np.load(path) as saved:
            return [saved[f"f{i}"] for i in range(len(files))]
    scores = nab.run_views(files, config)
    cache.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {f"f{i}": s for i, s in enumerate(scores)}
    np.savez(path, **arrays)
    return scores


def _file_table(result: nab.CorpusResult, profiles: list[nab.Profile]) -> Table:
    table = Table(title="Per file (normalised; raw where a file has no window)")
    table.add_column("file", overflow="fold")
    table.add_column("windows", justify="right")
    for p in profiles:
        table.add_column(p.name, justify="right")
    table.add_column("TP/FP (standard)", justify="right")
    for r in result.files:
        cells = []
        for p in profiles:
            norm = r.normalised(p)
            cells.append(f"{r.raw[p.name]:+.2f} raw" if norm is None else f"{norm:.1f}")
        tpfp = f"{r.tp['standard']}/{r.fp['standard']}"
        table.add_row(r.name, str(r.windows), *cells, tpfp)
    return table


def _total_table(result: nab.CorpusResult, profiles: list[nab.Profile], name: str) -> Table:
    table = Table(title="NAB normalised score on these files (100 = perfect, 0 = null detector)")
    table.add_column("detector")
    for p in profiles:
        table.add_column(p.name, justify="right")
    ours = [f"[bold]{result.normalised[p.name]:.1f}[/bold]" for p in profiles]
    table.add_row(f"[bold]rasd {name}[/bold]", *ours)
    for other, published in nab.PUBLISHED.items():
        by_profile = dict(zip(nab.PROFILE_NAMES, published, strict=True))
        table.add_row(f"{other} (published)", *[f"{by_profile[p.name]:.1f}" for p in profiles])
    thresholds = ", ".join(f"{p.name} {result.thresholds[p.name]:.4g}" for p in profiles)
    table.caption = (
        f"thresholds: {thresholds}. Published: NAB v1.1 results files of each detector, "
        "scored here with the threshold optimised over these files"
    )
    return table


def _family_table(families: list[nab_folds.FamilyScore], profiles: list[nab.Profile]) -> Table:
    table = Table(title="Per family (the corpus thresholds; raw where a family has no window)")
    table.add_column("family")
    table.add_column("windows", justify="right")
    for p in profiles:
        table.add_column(p.name, justify="right")
    for fam in families:
        table.add_row(fam.family, str(fam.windows), *[fam.cell(p.name) for p in profiles])
    return table


def _fold_table(
    folds: list[nab_folds.Fold],
    families: list[nab_folds.FamilyScore],
    profiles: list[nab.Profile],
    chosen: dict[str, Any],
) -> Table:
    table = Table(title="Leave one family out: chosen without the family, scored on it")
    table.add_column("family left out")
    table.add_column("chosen without it")
    for p in profiles:
        table.add_column(p.name, justify="right")
    table.add_column("in-sample (standard)", justify="right")
    table.add_column("threshold without it / its own (standard)", justify="right")
    in_sample = {f.family: f for f in families}
    for fold in folds:
        choice = (
            "as on all files"
            if fold.chosen == chosen
            else ", ".join(f"{k}={v:g}" for k, v in fold.chosen.items())
        )
        if fold.tied:
            choice += f" (tied with {fold.tied}: the fewest moved from the defaults)"
        table.add_row(
            fold.family,
            choice,
            *[fold.held_out.cell(p.name) for p in profiles],
            in_sample[fold.family].cell("standard"),
            f"{fold.thresholds['standard']:.3g} / {fold.own['standard']:.3g}",
        )
    on_all = ", ".join(f"{k}={v:g}" for k, v in chosen.items())
    table.caption = (
        f"{len(nab_folds.CANDIDATES)} candidates; on all files the choice is {on_all}; "
        "thresholds are chosen without the family too"
    )
    return table
