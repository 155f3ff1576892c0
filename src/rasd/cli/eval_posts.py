"""`rasd eval posts`: the post classifier scored against the project's labelled posts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rasd.eval.posts import ALL, Score
from rasd.signals.text.classifier import LABELS


def eval_posts(
    part: Annotated[
        str, typer.Option("--set", help="dev, heldout, or all (both, each on its own)")
    ] = "all",
    errors: Annotated[int, typer.Option(help="Show this many misclassified posts per set")] = 0,
) -> None:
    """Precision, recall and F1 of the post classifier per language and label."""
    from rich.console import Console

    from rasd.eval.posts import SETS, load_set, score, summary
    from rasd.signals.text.analysis import default_analyser

    console = Console()
    names = SETS if part == "all" else (part,)
    analyser = default_analyser()
    for name in names:
        result = score(load_set(name), analyser)
        console.print(_table(name, result))
        console.print(summary(result))
        for post, got in result.errors[:errors]:
            console.print(f"  {post.id} [{post.lang}] want {post.label}, got {got}: {post.text}")


def _table(name: str, result: Score) -> Table:
    table = Table(title=f"posts: {name} set, {result.posts} posts")
    for column in ("language", "label", "precision", "recall", "F1", "posts"):
        table.add_column(column, justify="left" if column in ("language", "label") else "right")
    langs = (*result.langs(), ALL)
    for lang in langs:
        for label in (*LABELS, "complaining"):
            c = result.counts(lang, label)
            table.add_row(
                "all" if lang == ALL else lang,
                "complaint+question" if label == "complaining" else label,
                f"{c.precision:.3f}",
                f"{c.recall:.3f}",
                f"{c.f1:.3f}",
                str(c.support),
                end_section=label == "complaining",
                style="bold" if label == "complaining" else None,
            )
    return table
