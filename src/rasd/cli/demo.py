"""`rasd demo`: the server, replaying the reference event so a newcomer watches it unfold."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from rasd.cli.common import console
from rasd.cli.options import Port, settings_from
from rasd.cli.replay import history_aside, load_simulation, statements, summary, warm

_DEMO_STORE = "sqlite:///var/demo.db"


def demo(
    speed: Annotated[float, typer.Option(help="Simulated minutes per real second x 60.")] = 360.0,
    port: Port = None,
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
    sim = load_simulation(scenario, load_catalog(), None)
    clock = VirtualClock(sim.start)
    settings = settings_from(store_url=store, port=port)
    drawn = history_aside(sim, history_days)
    runtime = embedded(settings, clock=clock)
    warm(runtime, sim, history_days, drawn)
    engine = runtime.detector()
    assert runtime.aggregator is not None  # an embedded process counts
    replayer = Replay(
        sim,
        InProcessSink(runtime.aggregator.feed, clock, engine.tick),
        speed=speed,
        official=statements(runtime),
    )

    async def background(stop: Any) -> None:

        thread = threading.Thread(target=_replay_then_report, args=(replayer,), daemon=True)
        thread.start()
        await stop.wait()
        replayer.stopped = True

    console.print(
        f"[bold]Rasd demo[/bold]: open http://{settings.host}:{settings.port}/  "
        f"— replaying {sim.scenario.title} at {speed:g}x; Ctrl-C stops."
    )
    run(runtime, ticks=False, background=background)


def _replay_then_report(replayer: Any) -> None:
    from rasd.cli.progress import replay_bar

    with replay_bar(replayer.sim) as on_minute:
        replayer.on_minute = on_minute
        stats = replayer.run()
    summary(stats)
    console.print("The replay is over; the server keeps running until Ctrl-C.")
