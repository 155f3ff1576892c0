"""`rasd serve` and `rasd worker`: a process of each role, on the system clock."""

from __future__ import annotations

from rasd.cli.common import console
from rasd.cli.options import (
    CatalogFiles,
    Cluster,
    Host,
    NatsUrl,
    Offline,
    Port,
    StoreUrl,
    WorkerName,
    settings_from,
)


def serve(
    store: StoreUrl = None,
    host: Host = None,
    port: Port = None,
    catalog: CatalogFiles = None,
    cluster: Cluster = None,
    offline: Offline = None,
) -> None:
    """Run the server: API, pages, detection and the live sources, on the system clock."""
    from rasd.assembly import api, embedded
    from rasd.server import run

    settings = settings_from(
        store_url=store,
        host=host,
        port=port,
        catalog_files=catalog,
        cluster=cluster,
        offline=offline,
    )
    runtime = api(settings) if settings.cluster else embedded(settings)
    where = f"log {settings.nats_url}, " if settings.cluster else ""
    away = ", sources on loopback only" if settings.offline else ""
    console.print(
        f"Rasd on http://{settings.host}:{settings.port}  ({where}store {settings.store_url}{away})"
    )
    # in a cluster the leading worker detects; API processes only read what it stored
    run(runtime, ticks=not settings.cluster)


def worker(store: StoreUrl = None, nats: NatsUrl = None, name: WorkerName = None) -> None:
    """Run a cluster worker: count its share of the shards; detect when it holds the lead."""
    from rasd.cluster.worker import serve_worker

    settings = settings_from(store_url=store, nats_url=nats, worker_name=name, cluster=True)
    console.print(
        f"Rasd worker on {settings.nats_url} stream {settings.stream} "
        f"({settings.shards} shards, store {settings.store_url}); Ctrl-C stops."
    )
    serve_worker(settings)
