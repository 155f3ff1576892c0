"""Reads the pages need in one query each, where the Store protocol would take one per series.

Only per-minute counts are read: the pages look at the last day or at one event, well inside
the minute retention, so hourly roll-ups never hold what they show.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, and_, func, select

from rasd.series import REPORTS, WORLD
from rasd.store import schema
from rasd.store.base import Store


def world_reports(
    store: Store, services: Iterable[str] | None, since: int, until: int, step: int
) -> dict[str, list[int]]:
    """Reports of each service over the world in buckets of `step` minutes from `since`.

    Services without reports are left out; every list has (until - since) // step buckets.
    """
    size = max(1, (until - since) // step)
    s, c = schema.series.c, schema.counts.c
    bucket = ((c.minute - since) // step).label("bucket")
    query = (
        select(s.service, bucket, func.sum(c.n))
        .select_from(schema.counts.join(schema.series, s.id == c.series_id))
        .where(and_(s.signal == REPORTS, s.region == WORLD, c.minute >= since, c.minute < until))
        .group_by(s.service, bucket)
    )
    wanted = set(services) if services is not None else None
    if wanted is not None:
        query = query.where(s.service.in_(wanted))

    def run(conn: Connection) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for service, index, n in conn.execute(query).all():
            i = int(index)
            if 0 <= i < size:
                out.setdefault(str(service), [0] * size)[i] += int(n)
        return out

    return store.read(run)


def region_reports(store: Store, service: str, since: int, until: int) -> dict[str, int]:
    """Reports of one service per region (countries and cities) in [since, until)."""
    s, c = schema.series.c, schema.counts.c
    query = (
        select(s.region, func.sum(c.n))
        .select_from(schema.counts.join(schema.series, s.id == c.series_id))
        .where(
            and_(
                s.service == service,
                s.signal == REPORTS,
                s.region != WORLD,
                c.minute >= since,
                c.minute < until,
            )
        )
        .group_by(s.region)
    )

    def run(conn: Connection) -> dict[str, int]:
        return {str(region): int(n) for region, n in conn.execute(query).all() if n}

    return store.read(run)


def problem_reports(store: Store, service: str, since: int, until: int) -> dict[str, int]:
    """Reports of one service per problem type (the `problem:*` series) in [since, until)."""
    s, c = schema.series.c, schema.counts.c
    query = (
        select(s.signal, func.sum(c.n))
        .select_from(schema.counts.join(schema.series, s.id == c.series_id))
        .where(
            and_(
                s.service == service,
                s.signal.like("problem:%"),
                s.region == WORLD,
                c.minute >= since,
                c.minute < until,
            )
        )
        .group_by(s.signal)
    )

    def run(conn: Connection) -> dict[str, int]:
        return {str(sig).split(":", 1)[1]: int(n) for sig, n in conn.execute(query).all()}

    return store.read(run)
