"""CSV of a service's counts, for researchers: one row per series per step, long format."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from rasd.api.params import Step, Time, parse_window
from rasd.api.shapes import errors
from rasd.clock import minute_of, minute_start
from rasd.errors import InvalidInput, field_error
from rasd.http.process import runtime_of
from rasd.series import SeriesKey
from rasd.store.counts import CountStore

router = APIRouter(prefix="/api/v1", tags=["services"])

MAX_ROWS = 1_000_000
COLUMNS = ("time", "service", "signal", "region", "count")


def _rows(
    store: CountStore, keys: list[SeriesKey], start: int, end: int, step: int
) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield out.getvalue()
    for key in keys:
        out.seek(0)
        out.truncate()
        counts = store.read_counts(key, start, end, step)
        for minute, n in zip(counts.minutes, counts.values, strict=True):
            writer.writerow((minute_start(minute).strftime("%Y-%m-%dT%H:%M:%SZ"), *key, n))
        yield out.getvalue()


@router.get(
    "/services/{service_id}/series.csv",
    summary="A service's counts as CSV: time, service, signal, region, count",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV"}, **errors(404, 422)},
)
async def series_csv(
    request: Request,
    service_id: str,
    signal: str | None = Query(None, max_length=64, description="Only this signal"),
    region: str | None = Query(None, max_length=160, description="Only this region (* world)"),
    since: Time = None,
    until: Time = None,
    step: Step = None,
) -> StreamingResponse:
    rt = runtime_of(request)
    service = rt.catalog.get(service_id)
    since_t, until_t, step_m = parse_window(since, until, step, rt.clock.now())
    keys = [
        k
        for k in rt.store.series_keys(service=service.id, signal=signal)
        if region is None or k.region == region
    ]
    keys.sort()
    start, end = minute_of(since_t), minute_of(until_t) + 1
    rows = len(keys) * -(-(end - start) // step_m)
    if rows > MAX_ROWS:
        raise InvalidInput(
            f"that is {rows} rows, more than {MAX_ROWS}: pick a signal, a region or a larger step",
            details=[field_error("step", "too many rows", rows=rows)],
        )
    name = f"rasd-{service.id}-{since_t:%Y%m%dT%H%M}-{until_t:%Y%m%dT%H%M}.csv"
    return StreamingResponse(
        _rows(rt.store, keys, start, end, step_m),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
