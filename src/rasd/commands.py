"""The commands that run Rasd: serve, demo, replay, scenarios."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rasd.errors import RasdError

console = Console()

_DEMO_STORE = "sqlite:///var/demo.db"


def _settings(**overrides: Any) -> Any:
    from rasd.settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def serve(
    store: Annotated[str | None, typer.Option(help="sqlite:///FILE or postgresql://...")] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    catalog: Annotated[list[Path] | None, typer.Option(help="Extra catalog TOML file.")] = None,
    cluster: Annotated[
        bool | None,
        typer.Option(
            "--cluster/--embedded",
            help="API only: publish to NATS JetStream; `rasd worker` counts and detects.",
        ),
    ] = None,
    offline: Annotated[
        bool | None,
        typer.Option(
            "--offline/--online",
            help="Keep every live source on loopback addresses (RASD_OFFLINE).",
        ),
    ] = None,
) -> None:
    """Run the server: API, pages, detection and the live sources, on the system clock."""
    from rasd.assembly import embedded
    from rasd.server import run

    settings = _settings(
        store_url=store,
        host=host,
        port=port,
        catalog_files=catalog,
        cluster=cluster,
        offline=offline,
    )
    runtime = embedded(settings)
    where = f"log {settings.nats_url}, " if settings.cluster else ""
    away = ", sources on loopback only" if settings.offline else ""
    console.print(
        f"Rasd on http://{settings.host}:{settings.port}  "
        f"({where}store {settings.store_url}{away})"
    )
    # in a cluster the leading worker detects; API processes only read what it stored
    run(runtime, ticks=not settings.cluster)


def worker(
    store: Annotated[str | None, typer.Option(help="postgresql://... of the cluster")] = None,
    nats: Annotated[str | None, typer.Option(help="NATS server(s), comma-separated.")] = None,
    name: Annotated[str | None, typer.Option(help="This worker's name in leases.")] = None,
) -> None:
    """Run a cluster worker: count its share of the shards; detect when it holds the lead."""
    from rasd.cluster.worker import serve_worker

    settings = _settings(store_url=store, nats_url=nats, worker_name=name, cluster=True)
    console.print(
        f"Rasd worker on {settings.nats_url} stream {settings.stream} "
        f"({settings.shards} shards, store {settings.store_url}); Ctrl-C stops."
    )
    serve_worker(settings)


def _load_simulation(scenario: str, runtime_catalog: Any, seed: int | None) -> Any:
    from rasd.ingest.places import Places
    from rasd.sim import Simulation, load_scenario

    return Simulation(load_scenario(scenario), runtime_catalog, Places.default(), seed=seed)


def _warm(runtime: Any, sim: Any, days: int) -> None:
    if days <= 0:
        return
    with console.status(f"learning {days} days of usual traffic..."):
        history = sim.history(days)
        runtime.extras["engine"].warm(history.start_minute, history.series, history.counts)


def replay(
    scenario: Annotated[
        str, typer.Argument(help="A scenario name (see `rasd scenarios`) or TOML file.")
    ],
    speed: Annotated[
        str, typer.Option(help="Simulated minutes per real second x 60, or `max`.")
    ] = "max",
    server: Annotated[str | None, typer.Option(help="Replay over HTTP to this server.")] = None,
    token: Annotated[str | None, typer.Option(help="Import token for --server.")] = None,
    store: Annotated[str | None, typer.Option(help="Store for an in-process replay.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed; default: the scenario's.")] = None,
    history_days: Annotated[int, typer.Option(help="Days of usual traffic learnt first.")] = 7,
    keep_time: Annotated[
        bool, typer.Option(help="With --server: send the scenario's own times, unshifted.")
    ] = False,
) -> None:
    """Drive a scenario through the real ingest path, on a virtual clock.

    In process (the default) it runs as fast as it can, detection included. With --server it
    posts to a running server with an import token, checked before anything is sent; the
    scenario is placed so that it ends as its last minute is sent (never in the server's
    future), unless --keep-time. A server on the system clock detects each minute as it
    closes, so only --speed 1 is watched live there; faster replays fill its history.
    """
    from rasd.assembly import embedded
    from rasd.catalog import load_catalog
    from rasd.clock import VirtualClock
    from rasd.replay import HttpSink, InProcessSink, Replay, placement

    if server is not None:
        pace = None if speed == "max" else _speed(speed)
        sim = _load_simulation(scenario, load_catalog(), seed)
        sink = HttpSink(server, token)
        try:
            try:
                sink.check_access()
            except RasdError as exc:
                typer.echo(f"rasd replay: {exc.message}", err=True)
                raise typer.Exit(1) from None
            if not keep_time:
                # against a server on the system clock the scenario is re-enacted now, ending
                # no later than it is sent; --keep-time sends its own times, for a server
                # that runs on the scenario's clock
                now = datetime.now(UTC).replace(second=0, microsecond=0)
                sink.shift = placement(sim.start, int(sim.total_minutes), pace, now)
            try:
                stats = Replay(sim, sink, speed=pace).run()
            except RasdError as exc:
                typer.echo(f"rasd replay: {exc.message}", err=True)
                raise typer.Exit(1) from None
        finally:
            sink.close()
    else:
        pace = None if speed == "max" else _speed(speed)
        sim = _load_simulation(scenario, load_catalog(), seed)
        clock = VirtualClock(sim.start)
        runtime = embedded(_settings(store_url=store), clock=clock)
        _warm(runtime, sim, history_days)
        engine = runtime.extras["engine"]
        assert runtime.aggregator is not None  # an embedded process counts
        sink_in = InProcessSink(runtime.aggregator.feed, clock, engine.tick)
        stats = Replay(sim, sink_in, speed=pace, official=_statements(runtime)).run()
        runtime.store.close()
    _summary(stats)


def _statements(runtime: Any) -> Any:
    """What a replay hands the scenario's statements to: the process's official board."""
    from functools import partial

    from rasd.signals.official import board_of, hear_statements

    return partial(hear_statements, board_of(runtime))


def _speed(value: str) -> float:
    try:
        pace = float(value)
    except ValueError as exc:
        raise typer.BadParameter(
            "speed is a number (60 = one simulated hour a minute) or max"
        ) from exc
    if pace <= 0:
        raise typer.BadParameter("speed must be positive")
    return pace


def _summary(stats: Any) -> None:
    table = Table(title="replay")
    table.add_column("what")
    table.add_column("figure", justify="right")
    table.add_row("minutes", f"{stats.minutes:,}")
    table.add_row("reports", f"{stats.reports:,}")
    table.add_row("posts", f"{stats.posts:,}")
    table.add_row("probe results", f"{stats.probes:,}")
    table.add_row("route updates", f"{stats.routes:,}")
    table.add_row("seconds", f"{stats.seconds:,.1f}")
    table.add_row("reports per second", f"{stats.reports_per_second:,.0f}")
    opened = sorted({i for k, i in stats.changes if k == "opened"})
    table.add_row("incidents opened", ", ".join(opened) or "none")
    console.print(table)


def scenarios() -> None:
    """List the built-in scenarios."""
    from rasd.sim import list_scenarios

    table = Table(title="scenarios")
    table.add_column("name")
    table.add_column("title")
    table.add_column("start (UTC)")
    table.add_column("minutes", justify="right")
    for sc in list_scenarios():
        minutes = int((sc.end - sc.start).total_seconds() // 60)
        table.add_row(sc.name, sc.title, sc.start.strftime("%Y-%m-%d %H:%M"), str(minutes))
    console.print(table)


def demo(
    speed: Annotated[float, typer.Option(help="Simulated minutes per real second x 60.")] = 360.0,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    store: Annotated[str, typer.Option(help="Where the demo keeps its data.")] = _DEMO_STORE,
    scenario: Annotated[str, typer.Option(help="Scenario to replay.")] = "meta-2021-10-04",
    keep: Annotated[bool, typer.Option(help="Keep the data of an earlier demo.")] = False,
    history_days: Annotated[int, typer.Option(help="Days of usual traffic learnt first.")] = 7,
) -> None:
    """Start the server and replay the reference event, so you can watch it unfold."""
    from rasd.assembly import embedded
    from rasd.catalog import load_catalog
    from rasd.clock import VirtualClock
    from rasd.replay import InProcessSink, Replay
    from rasd.server import run

    if not keep and store.startswith("sqlite:///"):
        path = Path(store.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    sim = _load_simulation(scenario, load_catalog(), None)
    clock = VirtualClock(sim.start)
    settings = _settings(store_url=store, port=port)
    runtime = embedded(settings, clock=clock)
    _warm(runtime, sim, history_days)
    engine = runtime.extras["engine"]
    assert runtime.aggregator is not None  # an embedded process counts
    replayer = Replay(
        sim,
        InProcessSink(runtime.aggregator.feed, clock, engine.tick),
        speed=speed,
        official=_statements(runtime),
    )
    runtime.extras["replay"] = replayer

    async def background(stop: Any) -> None:

        thread = threading.Thread(target=_replay_then_report, args=(replayer,), daemon=True)
        thread.start()
        await stop.wait()
        replayer.stopped = True

    console.print(
        f"[bold]Rasd demo[/bold]: open http://{settings.host}:{port}/  "
        f"— replaying {sim.scenario.title} at {speed:g}x; Ctrl-C stops."
    )
    run(runtime, ticks=False, background=background)


def _replay_then_report(replayer: Any) -> None:
    stats = replayer.run()
    _summary(stats)
    console.print("The replay is over; the server keeps running until Ctrl-C.")


def posts_follow(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="A JSON lines file being written.")],
    server: Annotated[str | None, typer.Option(help="Send to this Rasd server.")] = None,
    token: Annotated[
        str | None, typer.Option(envvar="RASD_POSTS_TOKEN", help="Ingest token for --server.")
    ] = None,
    store: Annotated[str | None, typer.Option(help="Store to count into, in this process.")] = None,
    from_start: Annotated[bool, typer.Option(help="Read what the file holds already.")] = False,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between looks.")] = 1.0,
) -> None:
    """Follow a growing JSON lines file of posts (a live feed), until Ctrl-C."""
    from rasd.assembly import embedded
    from rasd.signals.post_stream import FollowedFile, StreamStats, stream_posts
    from rasd.signals.posts_import import HttpPostSink, LogSink

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
        runtime = embedded(_settings(store_url=store))
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
