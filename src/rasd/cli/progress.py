"""Progress bars of the long commands (rich), kept out of the tools they watch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from rasd.clock import minute_start
from rasd.replay import ReplayStats


@contextmanager
def replay_bar(simulation: Any) -> Iterator[Callable[[int, ReplayStats], None]]:
    """A bar of a replay's minutes: yields what `Replay(on_minute=...)` calls each minute."""
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} min"),
        TextColumn("{task.fields[clock]}"),
        TextColumn("{task.fields[reports]:,} reports"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task(
            f"replay {simulation.scenario.name}",
            total=int(simulation.total_minutes),
            clock="",
            reports=0,
        )

        def on_minute(minute: int, stats: ReplayStats) -> None:
            bar.update(
                task,
                advance=1,
                reports=stats.reports,
                clock=minute_start(minute).strftime("%Y-%m-%d %H:%M UTC"),
            )

        yield on_minute
