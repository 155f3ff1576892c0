"""`rasd posts import FILE` and `rasd posts follow FILE`: public posts from a JSON lines file,
into the store or a server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rasd.cli.common import console
from rasd.cli.options import StoreUrl, settings_from

_SHOWN_ERRORS = 20

posts_app = typer.Typer(help="Public posts: import and inspect.")


@posts_app.command("import")
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
    store: StoreUrl = None,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Posts per batch.")] = 5_000,
) -> None:
    """Import public posts; malformed lines are reported by number and skipped."""
    import time

    from rasd.errors import RasdError

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
    from rasd.ingest.posts_import import LogSink, PostImport, TimeWindow

    settings = settings_from(store_url=store)
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
    from rasd.ingest.posts_import import HttpPostSink, PostImport

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


@posts_app.command("follow")
def posts_follow(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="A JSON lines file being written.")],
    server: Annotated[str | None, typer.Option(help="Send to this Rasd server.")] = None,
    token: Annotated[
        str | None, typer.Option(envvar="RASD_POSTS_TOKEN", help="Ingest token for --server.")
    ] = None,
    store: StoreUrl = None,
    from_start: Annotated[bool, typer.Option(help="Read what the file holds already.")] = False,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between looks.")] = 1.0,
) -> None:
    """Follow a growing JSON lines file of posts (a live feed), until Ctrl-C."""
    import threading

    from rasd.assembly import embedded
    from rasd.ingest.post_stream import FollowedFile, StreamStats, stream_posts
    from rasd.ingest.posts_import import HttpPostSink, LogSink

    if server is not None and not token:
        raise typer.BadParameter("--server needs --token (or RASD_POSTS_TOKEN)")

    def report(error: Any) -> None:
        console.print(f"[yellow]line {error.line} skipped:[/yellow] {error.reason}")

    source = FollowedFile(file, poll_seconds=poll, from_start=from_start, on_error=report)
    stop = threading.Event()
    stats = StreamStats()
    runtime = None
    sink: Any
    if server is not None:
        sink = HttpPostSink(server, token)
    else:
        runtime = embedded(settings_from(store_url=store))
        sink = LogSink(runtime.log)
    console.print(f"following {file} (Ctrl-C stops)")
    try:
        stream_posts(source, sink, stop, stats)
    except KeyboardInterrupt:
        stop.set()
    finally:
        sink.close()
        if runtime is not None:
            runtime.store.close()
    console.print(
        f"{stats.posts:,} posts in {stats.batches:,} batches; {stats.accepted:,} taken, "
        f"{stats.duplicates:,} seen before"
    )
