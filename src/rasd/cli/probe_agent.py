"""`rasd probe-agent`: the command line of the probe agent (its machinery loads lazily)."""

from __future__ import annotations

from typing import Annotated

import typer


def probe_agent(
    region: Annotated[str, typer.Option(help="Name of this vantage point, e.g. eu-west or EG.")],
    server: Annotated[str, typer.Option(help="Base URL of the Rasd server.")],
    token: Annotated[
        str, typer.Option(envvar="RASD_PROBE_TOKEN", help="Bearer token for the server.")
    ],
    concurrency: Annotated[int, typer.Option(min=1, help="Checks running at once.")] = 32,
    resolver: Annotated[
        list[str] | None,
        typer.Option(help="Resolver ip[:port] for checks that name none (repeatable)."),
    ] = None,
    interval_scale: Annotated[
        float, typer.Option(min=0.0001, help="Multiplies every interval (small: faster).")
    ] = 1.0,
    once: Annotated[bool, typer.Option(help="Run every check once, deliver, and exit.")] = False,
    ca_file: Annotated[
        str | None, typer.Option(help="Extra CA certificates (PEM) to trust, for private PKI.")
    ] = None,
    authoritative_port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port of authoritative name servers.")
    ] = 53,
    buffer_size: Annotated[
        int, typer.Option(min=1, help="Results held while the server is away.")
    ] = 10_000,
    batch_size: Annotated[int, typer.Option(min=1, help="Results per pushed batch.")] = 500,
    canary: Annotated[
        list[str] | None,
        typer.Option(
            help="An unrelated target that tells whether this vantage's own link is up: a URL, "
            "tcp:host:port or dns:name[@resolver] (repeatable; default: a few well-known ones).",
        ),
    ] = None,
    no_canaries: Annotated[
        bool, typer.Option(help="Check no canaries: believe every failure.")
    ] = False,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline/--online",
            envvar="RASD_OFFLINE",
            help="Contact loopback addresses only (RASD_OFFLINE).",
        ),
    ] = False,
    verbose: Annotated[bool, typer.Option(help="Log every delivery problem.")] = False,
) -> None:
    """Probe services from here (DNS, HTTP(S), TCP) and push the results to a Rasd server."""
    import asyncio
    import json
    import logging
    import signal
    from dataclasses import asdict

    from rasd.probe.agent import AgentConfig, ProbeAgent

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = AgentConfig(
            region=region,
            server=server,
            token=token,
            concurrency=concurrency,
            resolvers=list(resolver or []),
            interval_scale=interval_scale,
            ca_file=ca_file,
            authoritative_port=authoritative_port,
            buffer_size=buffer_size,
            batch_size=batch_size,
            canaries=[] if no_canaries else (list(canary) if canary else None),
            offline=offline,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    agent = ProbeAgent(config)

    async def _run() -> None:
        if once:
            await agent.run_once()
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await agent.run(stop)

    asyncio.run(_run())
    typer.echo(json.dumps({"region": region, **asdict(agent.stats)}))
    if once and (agent.stats.held or not agent.stats.check_list):
        raise typer.Exit(1)
