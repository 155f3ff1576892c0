"""Reads the pages need in one query each, where the Store protocol would take one per series.

Only per-minute counts are read: the pages look at the last day or at one event, well inside
the minute retention, so hourly roll-ups never hold what they show.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from rasd.series import NETWORK_REPORTS, REPORTS, WORLD
from rasd.store import schema
from rasd.store.base import Store
from rasd.store.counts import minutes_within


def _series_ids(conn: Connection, *conditions: Any) -> dict[int, Any]:
    s = schema.series.c
    rows = conn.execute(select(s.id, s.service, s.signal, s.region).where(*conditions)).all()
    return {int(r.id): r for r in rows}


def _sums(
    conn: Connection, ids: Iterable[int], since: int, until: int, step: int | None
) -> list[Any]:
    """Counts summed per series (and per bucket of `step` minutes when given).

    Asking by series id walks the (quarter hour, series, minute) primary key, a short run per
    quarter hour and series: much less than every series' minutes in the range, which is what a
    join on the minute index reads.
    """
    c = schema.counts.c
    wanted = list(ids)
    if not wanted:
        return []
    if step is None:
        query = select(c.series_id, func.sum(c.n)).group_by(c.series_id)
    else:
        bucket = ((c.minute - since) // step).label("bucket")
        query = select(c.series_id, bucket, func.sum(c.n)).group_by(c.series_id, bucket)
    query = query.where(c.series_id.in_(wanted), *minutes_within(since, until))
    return list(conn.execute(query).all())


def world_reports(
    store: Store, services: Iterable[str] | None, since: int, until: int, step: int
) -> dict[str, list[int]]:
    """Reports of each service over the world in buckets of `step` minutes from `since`.

    Services without reports are left out; every list has (until - since) // step buckets.
    """
    size = max(1, (until - since) // step)
    s = schema.series.c
    conditions = [s.signal == REPORTS, s.region == WORLD]
    if services is not None:
        conditions.append(s.service.in_(set(services)))

    def run(conn: Connection) -> dict[str, list[int]]:
        series = _series_ids(conn, *conditions)
        names = {series_id: str(row.service) for series_id, row in series.items()}
        out: dict[str, list[int]] = {}
        # a day of every service in quarter hours is some 10,000 rows, read as the pages are
        # made: a service's list is made once, not for every row
        for series_id, index, n in _sums(conn, series, since, until, step):
            i = int(index)
            if 0 <= i < size:
                name = names[series_id]
                buckets = out.get(name)
                if buckets is None:
                    buckets = out[name] = [0] * size
                buckets[i] += int(n)
        return out

    return store.read(run)


def region_reports(store: Store, service: str, since: int, until: int) -> dict[str, int]:
    """Reports of one service per region (countries and cities) in [since, until)."""
    s = schema.series.c

    def run(conn: Connection) -> dict[str, int]:
        series = _series_ids(conn, s.service == service, s.signal == REPORTS, s.region != WORLD)
        sums = _sums(conn, series, since, until, None)
        return {str(series[sid].region): int(n) for sid, n in sums if n}

    return store.read(run)


def network_reports(store: Store, service: str, since: int, until: int) -> dict[str, int]:
    """Reports of one service per network (label of `rasd.ingest.networks`) in [since, until)."""
    s = schema.series.c

    def run(conn: Connection) -> dict[str, int]:
        series = _series_ids(conn, s.service == service, s.signal == NETWORK_REPORTS)
        sums = _sums(conn, series, since, until, None)
        return {str(series[sid].region): int(n) for sid, n in sums if n}

    return store.read(run)


def problem_reports(store: Store, service: str, since: int, until: int) -> dict[str, int]:
    """Reports of one service per problem type (the `problem:*` series) in [since, until)."""
    s = schema.series.c

    def run(conn: Connection) -> dict[str, int]:
        series = _series_ids(
            conn, s.service == service, s.signal.like("problem:%"), s.region == WORLD
        )
        sums = _sums(conn, series, since, until, None)
        return {str(series[sid].signal).split(":", 1)[1]: int(n) for sid, n in sums}

    return store.read(run)
