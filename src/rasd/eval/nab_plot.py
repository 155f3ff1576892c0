"""The NAB score per family as a PNG: bars per profile, and each family's held-out score.

Families without windows have no normalised score and are left out of the plot.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display is assumed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rasd.eval.nab import Profile  # noqa: E402
from rasd.eval.nab_folds import FamilyScore, Fold  # noqa: E402


def write(
    path: Path,
    families: list[FamilyScore],
    folds: list[Fold],
    profiles: list[Profile],
    title: str,
) -> None:
    shown = [f for f in families if f.windows]
    held = {fold.family: fold.held_out for fold in folds}
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    x = np.arange(len(shown))
    width = 0.8 / len(profiles)
    for k, p in enumerate(profiles):
        ax.bar(
            x + (k - (len(profiles) - 1) / 2) * width,
            [f.scores[p.name] for f in shown],
            width,
            label=p.name,
        )
    outs = [(i, held[f.family].scores["standard"]) for i, f in enumerate(shown) if f.family in held]
    if outs:
        ax.scatter(
            [i for i, _ in outs],
            [v for _, v in outs],
            marker="D",
            color="black",
            zorder=3,
            label="standard, family left out",
        )
    ax.set_xticks(x, [f.family for f in shown], rotation=15)
    ax.set_ylabel("NAB normalised score")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set_title(f"{title}: NAB score per family")
    ax.legend(fontsize="small")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
