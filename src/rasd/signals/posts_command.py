"""`rasd posts import FILE`: public posts from a JSON lines file, into the store or a server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

_SHOWN_ERRORS = 20


def posts_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="JSON lines: one post a line."
        ),
    ],
    server: Annotated[
        str | None, typer.Option(help="Send to this Rasd server instead of the store.")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="RASD_POSTS_TOKEN", help="Ingest (or import) token for --server."),
    ] = None,
    store: Annotated[
        str | None, typer.Option(help="Store to import into: sqlite:///FILE or postgresql://...")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Posts per batch.")] = 5_000,
) -> None:
    """Import public posts; malformed lines are reported by number and skipped."""
    import time

    from rich.console import Console

    from rasd.errors import RasdError

    console = Console()
    if server is not None and store is not None:
        raise typer.BadParameter("give either --server or --store, not both")
    if server is not None and not token:
        raise typer.BadParameter("--server needs --token (or RASD_POSTS_TOKEN)")
    started = time.perf_counter()
    try:
        if server is not None:
            stats = _over_http(file, server, str(token), batch_size)
        else:
            stats = _in_process(file, store, batch_size)
    except RasdError as exc:
        console.print(f"[red]import stopped:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    _summary(console, file, stats, time.perf_counter() - started, server or "the store")


def _in_process(file: Path, store: str | None, batch_size: int) -> Any:
    from datetime import timedelta

    from rasd.assembly import embedded
    from rasd.settings import Settings
    from rasd.signals.posts_import import LogSink, PostImport, TimeWindow

    settings = Settings() if store is None else Settings(store_url=store)
    runtime = embedded(settings)
    sink = LogSink(runtime.log)
    try:
        # history of any age may be imported here; only times ahead of the clock are refused
        window = TimeWindow(future_skew=timedelta(seconds=settings.future_skew_seconds))
        job = PostImport(sink, chunk_size=batch_size, window=window, now=runtime.clock.now)
        return _with_progress(job, file)
    finally:
        sink.close()
        runtime.store.close()


def _over_http(file: Path, server: str, token: str, batch_size: int) -> Any:
    from rasd.signals.posts_import import HttpPostSink, PostImport

    sink = HttpPostSink(server, token)
    try:
        return _with_progress(PostImport(sink, chunk_size=batch_size), file)
    finally:
        sink.close()


def _with_progress(job: Any, file: Path) -> Any:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(f"importing {file.name}", total=file.stat().st_size)
        return job.run(file, lambda n: progress.advance(task, n))


def _summary(console: Any, file: Path, stats: Any, seconds: float, where: str) -> None:
    from rich.table import Table

    table = Table(title=f"posts from {file.name} into {where}")
    table.add_column("what")
    table.add_column("figure", justify="right")
    table.add_row("lines", f"{stats.lines:,}")
    table.add_row("posts read", f"{stats.posts:,}")
    table.add_row("posts taken", f"{stats.accepted:,}")
    table.add_row("seen before (skipped)", f"{stats.duplicates:,}")
    table.add_row("bad lines (skipped)", f"{len(stats.skipped):,}")
    table.add_row("seconds, all told", f"{seconds:,.2f}")
    table.add_row("seconds importing", f"{stats.seconds:,.2f}")
    rate = f"{stats.posts / stats.seconds:,.0f}" if stats.seconds > 0 else "-"
    table.add_row("posts per second importing", rate)
    console.print(table)
    for error in stats.skipped[:_SHOWN_ERRORS]:
        console.print(f"line {error.line}: {error.reason}", markup=False, highlight=False)
    if len(stats.skipped) > _SHOWN_ERRORS:
        console.print(f"... and {len(stats.skipped) - _SHOWN_ERRORS} more bad lines")
