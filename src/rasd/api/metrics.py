"""Prometheus /metrics: what comes in, what waits, how long detection takes, what goes out.

Most figures are read from the parts that already keep them (the aggregator's tallies, the
outbox, the notifier's counts) when Prometheus scrapes, so nothing on the hot path pays for
them. Each app has its own registry: two apps in one process (tests) never clash.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rasd.detect.decision import Status, status_of
from rasd.runtime import Runtime
from rasd.store.rows import level_now

router = APIRouter(tags=["meta"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# the write routes whose request rates are the ingest rates
INGEST_ROUTES = (
    ("/api/v1/reports/batch", "reports_batch"),
    ("/api/v1/reports", "reports"),
    ("/api/v1/posts/batch", "posts_batch"),
    ("/api/v1/probes/batch", "probes_batch"),
)
_TICK_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = CollectorRegistry(auto_describe=True)
        # write requests by (route, status): a plain tally, read when Prometheus scrapes, as a
        # metric's own counter takes a lock for every request (as long as checking a report)
        self.requests: collections.Counter[tuple[str, str]] = collections.Counter()
        self.registry.register(_RequestsCollector(self.requests))
        self.tick_seconds = Histogram(
            "rasd_detection_tick_seconds",
            "Time one detection tick takes",
            buckets=_TICK_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_RuntimeCollector(runtime))
        self._timed: set[int] = set()

    def time_engine(self) -> None:
        """Time the engine's ticks (once per engine), wherever they are called from."""
        engine = self.runtime.engine
        if engine is None or id(engine) in self._timed:
            return
        self._timed.add(id(engine))
        tick = engine.tick
        histogram = self.tick_seconds

        def timed(minute: int) -> Any:
            started = time.perf_counter()
            try:
                return tick(minute)
            finally:
                histogram.observe(time.perf_counter() - started)

        # the engine is not ours to change; its instance gets a timed tick instead
        setattr(engine, "tick", timed)  # noqa: B010

    def render(self) -> bytes:
        self.time_engine()
        return bytes(generate_latest(self.registry))


class _RequestsCollector(Collector):
    def __init__(self, requests: collections.Counter[tuple[str, str]]) -> None:
        self.requests = requests

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "rasd_ingest_requests",
            "Requests to the write API, by route and status",
            labels=["route", "status"],
        )
        for (route, status), n in sorted(self.requests.items()):
            family.add_metric([route, status], n)
        yield family


class _RuntimeCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        rt = self.runtime
        if rt.aggregator is not None:
            reports = CounterMetricFamily(
                "rasd_reports", "Reports taken in by this process, by outcome", labels=["outcome"]
            )
            for tally, n in sorted(rt.aggregator.applied.items()):
                reports.add_metric(["received" if tally == "reports" else tally], n)
            yield reports
        jobs = getattr(rt.store, "_jobs", None)
        if jobs is not None:
            # the SQLite store's single writer: work waiting here is work not yet durable
            yield GaugeMetricFamily(
                "rasd_store_write_queue",
                "Writes waiting for the store's writer",
                value=jobs.qsize(),
            )
        checkpointer = getattr(rt.store, "checkpointer", None)
        if checkpointer is not None:
            yield GaugeMetricFamily(
                "rasd_store_log_largest_bytes",
                "The most SQLite's write-ahead log file was seen to hold",
                value=checkpointer.largest_log,
            )
            yield CounterMetricFamily(
                "rasd_store_log_truncations_starved",
                "Truncating checkpoints of SQLite's log that gave up waiting for a reader",
                value=checkpointer.starved,
            )
        engine = rt.engine
        if engine is not None:
            yield CounterMetricFamily(
                "rasd_detection_ticks", "Detection ticks run", value=engine.ticks
            )
            yield GaugeMetricFamily(
                "rasd_detection_series", "Series the detector watches", value=len(engine.bank)
            )
            if engine.last_minute is not None:
                yield GaugeMetricFamily(
                    "rasd_detection_last_minute_seconds",
                    "Start of the last minute detection has looked at, Unix seconds",
                    value=engine.last_minute * 60,
                )
        open_now = GaugeMetricFamily(
            "rasd_incidents_open", "Incidents not resolved, by level", labels=["level"]
        )
        levels = {str(Status.POSSIBLE): 0, str(Status.DETECTED): 0}
        for incident in rt.store.open_incidents().values():
            levels[str(status_of(max(1, level_now(incident))))] += 1
        for name, n in levels.items():
            open_now.add_metric([name], n)
        yield open_now
        yield from _source_metrics(rt)
        notifier = rt.notifier.made
        if notifier is not None:
            deliveries = CounterMetricFamily(
                "rasd_alert_deliveries",
                "Alert delivery attempts by channel and outcome (sent, failed, dead)",
                labels=["channel", "outcome"],
            )
            for channel in ("webhook", "apprise"):
                for outcome in ("sent", "failed", "dead"):
                    deliveries.add_metric([channel, outcome], notifier.stats[(channel, outcome)])
            yield deliveries
            waiting = GaugeMetricFamily(
                "rasd_outbox_messages", "Alert messages in the outbox, by status", labels=["status"]
            )
            for status, n in notifier.outbox.counts().items():
                waiting.add_metric([status], n)
            yield waiting


def _source_metrics(rt: Runtime) -> Iterator[Metric]:
    statuses = rt.sources.statuses()
    if not statuses:
        return
    connected = GaugeMetricFamily(
        "rasd_source_connected", "1 when the live source is connected", labels=["source"]
    )
    lag = GaugeMetricFamily(
        "rasd_source_lag_seconds", "How far the source is behind its feed", labels=["source"]
    )
    items = CounterMetricFamily(
        "rasd_source_items",
        "Items a live source has seen, matched to a service and counted",
        labels=["source", "stage"],
    )
    rates = GaugeMetricFamily(
        "rasd_source_items_per_minute",
        "Items a live source saw, matched and counted over the last minute",
        labels=["source", "stage"],
    )
    reconnects = CounterMetricFamily(
        "rasd_source_reconnects", "Times a live source connected again", labels=["source"]
    )
    errors = GaugeMetricFamily(
        "rasd_source_last_error_timestamp_seconds",
        "When a live source last met an error (its text is on /api/v1/sources)",
        labels=["source"],
    )
    for status in statuses:
        name = status["name"]
        connected.add_metric([name], 1.0 if status["state"] == "connected" else 0.0)
        if status["lag_seconds"] is not None:
            lag.add_metric([name], status["lag_seconds"])
        for stage, n in status["totals"].items():
            items.add_metric([name, stage], n)
        for stage, n in status["per_minute"].items():
            rates.add_metric([name, stage], n)
        reconnects.add_metric([name], status["reconnects"])
        if status["last_error_at"] is not None:
            when = datetime.fromisoformat(status["last_error_at"].replace("Z", "+00:00"))
            errors.add_metric([name], when.timestamp())
    yield connected
    yield lag
    yield items
    yield rates
    yield reconnects
    yield errors


class IngestCounting:
    """Counts write-API requests by route and status; pure ASGI, so streams pass untouched."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        route = next((name for prefix, name in INGEST_ROUTES if path == prefix), None)
        if route is None:
            await self.app(scope, receive, send)
            return
        status = 500

        async def counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            self.metrics.requests[(route, str(status))] += 1


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE.split(";")[0]: {}}, "description": "Metrics"}},
)
async def metrics(request: Request) -> Response:
    current: Metrics = request.app.state.metrics
    return Response(current.render(), media_type=CONTENT_TYPE)
