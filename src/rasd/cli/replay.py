"""`rasd replay` and `rasd scenarios`: a scenario through the real ingest path."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from rasd.cli.common import console
from rasd.cli.options import StoreUrl, settings_from
from rasd.errors import RasdError


def load_simulation(scenario: str, runtime_catalog: Any, seed: int | None) -> Any:
    from rasd.ingest.places import Places
    from rasd.sim import Simulation, load_scenario

    return Simulation(load_scenario(scenario), runtime_catalog, Places.default(), seed=seed)


def history_aside(sim: Any, days: int) -> Future[Any] | None:
    """The history `warm` learns, drawn in a thread of its own while the caller builds the
    runtime: numpy draws it with the interpreter let go, and it depends on nothing else."""
    if days <= 0:
        return None
    pool = ThreadPoolExecutor(1, thread_name_prefix="rasd-history")
    try:
        return pool.submit(sim.history, days)
    finally:
        pool.shutdown(wait=False)


def warm(runtime: Any, sim: Any, days: int, drawn: Future[Any] | None = None) -> None:
    """The detector learns `days` of usual traffic before the scenario (`drawn`: that
    history, as `history_aside` draws it)."""
    if days <= 0:
        return
    with console.status(f"learning {days} days of usual traffic..."):
        history = sim.history(days) if drawn is None else drawn.result()
        runtime.detector().warm(history.start_minute, history.series, history.counts)


def replay(
    scenario: Annotated[
        str, typer.Argument(help="A scenario name (see `rasd scenarios`) or TOML file.")
    ],
    speed: Annotated[
        str, typer.Option(help="Simulated minutes per real second x 60, or `max`.")
    ] = "max",
    server: Annotated[str | None, typer.Option(help="Replay over HTTP to this server.")] = None,
    token: Annotated[str | None, typer.Option(help="Import token for --server.")] = None,
    store: StoreUrl = None,
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
    from rasd.cli.progress import replay_bar
    from rasd.clock import VirtualClock
    from rasd.replay import HttpSink, InProcessSink, Replay, placement

    if server is not None:
        pace = None if speed == "max" else _speed(speed)
        sim = load_simulation(scenario, load_catalog(), seed)
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
                with replay_bar(sim) as on_minute:
                    stats = Replay(sim, sink, speed=pace, on_minute=on_minute, ahead=True).run()
            except RasdError as exc:
                typer.echo(f"rasd replay: {exc.message}", err=True)
                raise typer.Exit(1) from None
        finally:
            sink.close()
    else:
        pace = None if speed == "max" else _speed(speed)
        sim = load_simulation(scenario, load_catalog(), seed)
        clock = VirtualClock(sim.start)
        drawn = history_aside(sim, history_days)
        # fed by the scenario alone: the live sources (probes, feeds, status pages, routes)
        # would never start, and building them took more than the rest of the runtime
        settings = settings_from(store_url=store, sources_enabled=False)
        runtime = embedded(settings, clock=clock)
        warm(runtime, sim, history_days, drawn)
        engine = runtime.detector()
        assert runtime.aggregator is not None  # an embedded process counts
        sink_in = InProcessSink(runtime.aggregator.feed, clock, engine.tick)
        with replay_bar(sim) as on_minute:
            stats = Replay(
                sim,
                sink_in,
                speed=pace,
                official=statements(runtime),
                on_minute=on_minute,
                ahead=True,
            ).run()
        runtime.store.close()
    summary(stats)


def statements(runtime: Any) -> Any:
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


def summary(stats: Any) -> None:
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
