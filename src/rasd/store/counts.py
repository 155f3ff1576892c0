"""Counts: raw report batches, counts per series and minute (rolled into hours when old),
the message ids applied, and the series' ids. `CountStore` is what callers that count or read
counts need; `SqlCounts` its SQL, shared by SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, count, repeat
from operator import floordiv, is_, itemgetter
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import ColumnElement, Connection, Engine, and_, delete, func, or_, select, text
from sqlalchemy.exc import IntegrityError

from rasd.series import SeriesKey
from rasd.store import schema
from rasd.store.database import Database

# (series, epoch minute) -> how many to add
Increments = Mapping[tuple[SeriesKey, int], int]


class AlreadyApplied(Exception):
    """A message of a group was applied by someone else meanwhile; nothing was written."""


class RawBatch(NamedTuple):
    """One accepted batch of raw reports, encoded; see rasd.signals.reports for the codec."""

    first_ms: int
    last_ms: int
    n: int
    counted: int
    data: bytes
    # the cluster shard that counted it; None for the embedded server (and for rows stored
    # before shards were kept)
    shard: int | None = None


class RawReport(NamedTuple):
    ts_ms: int
    service: str
    problem: str
    region: str
    reporter: int  # signed 64-bit: the reporter key's hash
    network: int  # signed 64-bit: the /24 or /48 network's hash
    counted: bool
    reason: str | None


@dataclass(frozen=True)
class StoredCounts:
    """Counts of one series at a step, oldest first; `minutes` are bucket starts."""

    key: SeriesKey
    step: int
    minutes: list[int]
    values: list[int]


class CountStore(Protocol):
    """Counts kept. Writes are atomic and idempotent by message id."""

    def write_reports(
        self,
        batch: RawBatch | None,
        increments: Increments,
        msg_id: str | Sequence[str] | None = None,
    ) -> bool:
        """Store raw reports and add their counts in one transaction.

        Returns False, and changes nothing, when `msg_id` was applied before. With several
        message ids (requests taken together) all must be new, or AlreadyApplied is raised
        and nothing changes.
        """
        ...

    def applied_among(self, msg_ids: Sequence[str]) -> set[str]:
        """Which of these message ids were applied already."""
        ...

    def add_counts(self, increments: Increments, msg_id: str | None = None) -> bool: ...

    def series_keys(
        self, service: str | None = None, signal: str | None = None
    ) -> list[SeriesKey]: ...

    def read_counts(
        self, key: SeriesKey, since_minute: int, until_minute: int, step: int = 1
    ) -> StoredCounts: ...

    def read_minutes(self, since_minute: int, until_minute: int) -> dict[SeriesKey, dict[int, int]]:
        """Every series' counts for minutes in [since, until): what a detection tick reads."""
        ...

    def total(self, key: SeriesKey, since_minute: int, until_minute: int) -> int: ...

    def recent_batches(self, since_ms: int) -> list[RawBatch]: ...

    def counted_batches(self, since_ms: int, shard: int | None = None) -> list[RawBatch]:
        """What dedupe windows are rebuilt from: batches that counted reports from `since_ms`
        on, in the order stored; with `shard`, that shard's own and those that name none."""
        ...

    def count_reports(self) -> int: ...

    def prune(self, now_minute: int, raw_keep_minutes: int, minute_keep_minutes: int) -> None: ...


# Past this many quarter hours a range is read as one run of every series' rows instead of
# a run per quarter hour (only ranges well beyond the minute retention come near it).
_SLOTS_LISTED = 4_000
# more series ids unknown at once than this: all series are read again, not those by id
_LOAD_ALL_SERIES = 2_000


def minutes_within(since_minute: int, until_minute: int) -> list[ColumnElement[bool]]:
    """Conditions on `counts` for minutes in [since, until), the quarter hours named, so that
    rows of given series are found by their key (quarter hour, series, minute), one short run
    of rows per quarter hour, rather than by reading every series' rows in the range."""
    c = schema.counts.c
    size = schema.SLOT_MINUTES
    first, last = since_minute // size, (max(until_minute, since_minute + 1) - 1) // size
    where = [c.minute >= since_minute, c.minute < until_minute]
    if last - first < _SLOTS_LISTED:
        where.append(c.slot.in_(list(range(first, last + 1))))
    else:
        where.append(c.slot.between(first, last))
    return where


def _to_signed(value: int) -> int:
    return value - (1 << 64) if value >= (1 << 63) else value


class SqlCounts(Database):
    """The counts' SQL; SQLite and PostgreSQL override the hot writes and reads."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._series_ids: dict[SeriesKey, int] = {}
        self._series_by_id: dict[int, SeriesKey] = {}

    # -- series ids ----------------------------------------------------------------------
    def _ids_for(self, conn: Connection, keys: Iterable[SeriesKey]) -> dict[SeriesKey, int]:
        known = self._series_ids
        # each key looked up once: a set less the dictionary's keys would walk every series
        # known (tens of thousands by the evening of the reference day) for a few new ones
        missing = {key for key in keys if key not in known}
        if missing:
            # the caller's own key objects are kept, not keys rebuilt from the rows: the
            # counters hand over the same objects all day, and a look-up that finds the very
            # object skips comparing its strings (a third of the cost of each count row)
            given = {key: key for key in missing}
            for series_id, service, signal, region in self._new_series(conn, missing):
                key = SeriesKey(service, signal, region)
                key = given.get(key, key)
                known[key] = series_id
                self._series_by_id[series_id] = key
        return known

    def _new_series(
        self, conn: Connection, keys: set[SeriesKey]
    ) -> Iterable[tuple[int, str, str, str]]:
        """Ids for series not known here yet, made where another writer has not made them."""
        s = schema.series.c
        insert = self._insert(schema.series)
        # a no-op update makes RETURNING name rows another writer created first
        upsert = insert.on_conflict_do_update(
            index_elements=["service", "signal", "region"],
            set_={"service": insert.excluded.service},
        ).returning(s.id, s.service, s.signal, s.region)
        rows = conn.execute(
            upsert, [{"service": k.service, "signal": k.signal, "region": k.region} for k in keys]
        ).all()
        return [(row.id, row.service, row.signal, row.region) for row in rows]

    def _load_series(self, conn: Connection, ids: Iterable[int] | None = None) -> None:
        """The series of these ids (all when None) into the caches."""
        s = schema.series
        wanted = None if ids is None else sorted(set(ids))
        if wanted is None or len(wanted) > _LOAD_ALL_SERIES:
            queries = [select(s)]
        else:
            # only those another process made since we last looked: a minute of a cluster's
            # detection names a few new series among many thousands
            queries = [
                select(s).where(s.c.id.in_(wanted[i : i + 500])) for i in range(0, len(wanted), 500)
            ]
        for query in queries:
            for row in conn.execute(query).all():
                key = SeriesKey(row.service, row.signal, row.region)
                self._series_ids[key] = row.id
                self._series_by_id[row.id] = key

    def _key_of(self, conn: Connection, series_id: int) -> SeriesKey:
        if series_id not in self._series_by_id:
            self._load_series(conn, [series_id])
        return self._series_by_id[series_id]

    # -- writes --------------------------------------------------------------------------
    def _claim(self, conn: Connection, msg_id: str | None) -> bool:
        if msg_id is None:
            return True
        # RETURNING, not rowcount: psycopg reports no rowcount for an INSERT .. ON CONFLICT;
        # the driver's own statement, as the expression form cost a replay's writer more than
        # the insert (one claim a minute and kind)
        p = self._param
        result = conn.exec_driver_sql(
            f"INSERT INTO applied (msg_id, applied_ms) VALUES ({p}, {p}) "
            "ON CONFLICT (msg_id) DO NOTHING RETURNING msg_id",
            (msg_id, int(time.time() * 1000)),
        )
        return result.first() is not None

    def _claim_all(self, conn: Connection, msg_ids: Sequence[str]) -> None:
        """Requests taken together: all are new, or the transaction is undone."""
        if not msg_ids:
            return
        p = self._param
        now = int(time.time() * 1000)
        try:
            # one statement for the whole group; a single id seen before fails all of it
            conn.exec_driver_sql(
                f"INSERT INTO applied (msg_id, applied_ms) VALUES ({p}, {p})",
                [(one, now) for one in msg_ids],
            )
        except IntegrityError as exc:
            raise AlreadyApplied("a message of the group was applied meanwhile") from exc

    def _count_columns(
        self, conn: Connection, increments: Increments
    ) -> tuple[list[int], list[int], list[int], list[int]]:
        """The slots, series ids, minutes and amounts of the increments, in their order, new
        series made. Each column is drawn by a loop in C (map, zip): a busy minute names
        thousands of (series, minute), and a Python loop over them held the interpreter,
        which the threads counting and detecting meanwhile wait on, for microseconds a row."""
        ids = self._series_ids
        keys = list(map(itemgetter(0), increments))
        found = list(map(ids.get, keys))
        if None in found:
            # a minute names a few new series among thousands known: only those are asked
            # for, and only their places filled in (a look-up is a few reads from memory far
            # apart, where finding the places is a pass in C)
            at = list(compress(count(), map(is_, found, repeat(None))))
            missing = [keys[i] for i in at]
            made = self._ids_for(conn, set(missing))
            for i, key in zip(at, missing, strict=True):
                found[i] = made[key]
        series = cast(list[int], found)
        minutes = list(map(itemgetter(1), increments))
        if minutes and minutes.count(minutes[0]) == len(minutes):
            # a write is nearly always of one minute: of one quarter hour
            slots = [minutes[0] // schema.SLOT_MINUTES] * len(minutes)
        else:
            slots = list(map(floordiv, minutes, repeat(schema.SLOT_MINUTES)))
        return slots, series, minutes, list(increments.values())

    def _count_rows(
        self, conn: Connection, increments: Increments
    ) -> list[tuple[int, int, int, int]]:
        """(slot, series id, minute, n) of each increment, new series made, in key order."""
        rows = list(zip(*self._count_columns(conn, increments), strict=True))
        # rows in one order for every writer: PostgreSQL writers then queue, never deadlock
        rows.sort()
        return rows

    def _add_counts(self, conn: Connection, increments: Increments) -> None:
        if not increments:
            return
        rows = self._count_rows(conn, increments)
        p = self._param
        self._driver_sql(
            conn,
            f"INSERT INTO counts (slot, series_id, minute, n) VALUES ({p}, {p}, {p}, {p}) "
            "ON CONFLICT (slot, series_id, minute) DO UPDATE SET n = counts.n + excluded.n",
            rows,
        )

    def _driver_sql(
        self, conn: Connection, sql: str, params: tuple[Any, ...] | list[tuple[Any, ...]]
    ) -> None:
        """The driver's own statement, with one row of parameters or a list of rows: the
        expression form costs more than the database does for the hot writes."""
        conn.exec_driver_sql(sql, params)

    def _minute_rows(
        self, conn: Connection, sql: str, params: tuple[Any, ...]
    ) -> Sequence[tuple[Any, ...]]:
        """Rows of a read of many counts, as plain tuples."""
        return [tuple(row) for row in conn.exec_driver_sql(sql, params)]

    def _write_reports(
        self,
        conn: Connection,
        batch: RawBatch | None,
        increments: Increments,
        msg_id: str | Sequence[str] | None,
    ) -> bool:
        if isinstance(msg_id, str) or msg_id is None:
            if not self._claim(conn, msg_id):
                return False
        else:
            self._claim_all(conn, msg_id)
        self._insert_batch(conn, batch)
        self._add_counts(conn, increments)
        return True

    def _insert_batch(self, conn: Connection, batch: RawBatch | None) -> None:
        if batch is not None and batch.n:
            p = self._param
            self._driver_sql(
                conn,
                "INSERT INTO report_batches (first_ms, last_ms, n, counted, data, shard) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                tuple(batch),
            )

    def write_reports(
        self,
        batch: RawBatch | None,
        increments: Increments,
        msg_id: str | Sequence[str] | None = None,
    ) -> bool:
        return self.write(lambda conn: self._write_reports(conn, batch, increments, msg_id))

    def applied_among(self, msg_ids: Sequence[str]) -> set[str]:
        a = schema.applied.c
        found: set[str] = set()

        def run(conn: Connection) -> None:
            for i in range(0, len(msg_ids), 500):
                chunk = list(msg_ids[i : i + 500])
                found.update(
                    r[0] for r in conn.execute(select(a.msg_id).where(a.msg_id.in_(chunk)))
                )

        self.read(run)
        return found

    def add_counts(self, increments: Increments, msg_id: str | None = None) -> bool:
        return self.write(lambda conn: self._add_claimed_counts(conn, increments, msg_id))

    def _add_claimed_counts(
        self, conn: Connection, increments: Increments, msg_id: str | None
    ) -> bool:
        if not self._claim(conn, msg_id):
            return False
        self._add_counts(conn, increments)
        return True

    # -- reads ---------------------------------------------------------------------------
    def series_keys(self, service: str | None = None, signal: str | None = None) -> list[SeriesKey]:
        query = select(schema.series)
        if service is not None:
            query = query.where(schema.series.c.service == service)
        if signal is not None:
            query = query.where(schema.series.c.signal == signal)
        rows = self.read(lambda conn: conn.execute(query.order_by(schema.series.c.id)).all())
        return [SeriesKey(r.service, r.signal, r.region) for r in rows]

    def _series_id(self, conn: Connection, key: SeriesKey) -> int | None:
        if key in self._series_ids:
            return self._series_ids[key]
        row = conn.execute(
            select(schema.series.c.id).where(
                and_(
                    schema.series.c.service == key.service,
                    schema.series.c.signal == key.signal,
                    schema.series.c.region == key.region,
                )
            )
        ).first()
        if row is None:
            return None
        self._series_ids[key] = row.id
        self._series_by_id[row.id] = key
        return int(row.id)

    def read_counts(
        self, key: SeriesKey, since_minute: int, until_minute: int, step: int = 1
    ) -> StoredCounts:
        if step < 1:
            raise ValueError("step is at least one minute")
        start = since_minute - since_minute % step
        buckets = list(range(start, until_minute, step))
        values = [0] * len(buckets)

        def run(conn: Connection) -> None:
            series_id = self._series_id(conn, key)
            if series_id is None:
                return
            c = schema.counts.c
            rows = conn.execute(
                select(c.minute, c.n).where(
                    c.series_id == series_id, *minutes_within(start, until_minute)
                )
            ).all()
            for minute, n in rows:
                values[(minute - start) // step] += n
            h = schema.counts_hourly.c
            hourly = conn.execute(
                select(h.hour, h.n).where(
                    h.series_id == series_id,
                    h.hour >= start // 60,
                    h.hour * 60 < until_minute,
                )
            ).all()
            for hour, n in hourly:
                # an hour spreads evenly over the buckets it covers when the step is finer
                first = hour * 60
                covered = [b for b in range(max(first, start), min(first + 60, until_minute))]
                if not covered:
                    continue
                share, rest = divmod(int(n), len(covered))
                for i, minute in enumerate(covered):
                    values[(minute - start) // step] += share + (1 if i < rest else 0)

        self.read(run)
        return StoredCounts(key=key, step=step, minutes=buckets, values=values)

    def read_minutes(self, since_minute: int, until_minute: int) -> dict[SeriesKey, dict[int, int]]:
        p = self._param

        def run(conn: Connection) -> dict[SeriesKey, dict[int, int]]:
            # the driver's own statement and plain tuples: a cluster's detection reads every
            # series of the minute this way each tick
            rows = self._minute_rows(
                conn,
                f"SELECT series_id, minute, n FROM counts WHERE minute >= {p} AND minute < {p}",
                (since_minute, until_minute),
            )
            by_id = self._series_by_id
            missing = {series_id for series_id, _, _ in rows if series_id not in by_id}
            if missing:
                self._load_series(conn, missing)
                by_id = self._series_by_id
            out: dict[SeriesKey, dict[int, int]] = {}
            for series_id, minute, n in rows:
                out.setdefault(by_id[series_id], {})[minute] = int(n)
            return out

        return self.read(run)

    def total(self, key: SeriesKey, since_minute: int, until_minute: int) -> int:
        return sum(self.read_counts(key, since_minute, until_minute, step=1).values)

    def recent_batches(self, since_ms: int) -> list[RawBatch]:
        b = schema.report_batches.c
        query = (
            select(b.first_ms, b.last_ms, b.n, b.counted, b.data)
            .where(b.last_ms >= since_ms)
            .order_by(b.id)
        )
        rows = self.read(lambda conn: conn.execute(query).all())
        return [RawBatch(r.first_ms, r.last_ms, r.n, r.counted, bytes(r.data)) for r in rows]

    def counted_batches(self, since_ms: int, shard: int | None = None) -> list[RawBatch]:
        b = schema.report_batches.c
        recent = and_(b.last_ms >= since_ms, b.counted > 0)
        where = recent if shard is None else and_(recent, or_(b.shard == shard, b.shard.is_(None)))
        query = select(b.first_ms, b.last_ms, b.n, b.counted, b.data, b.shard).where(where)
        rows = self.read(lambda conn: conn.execute(query.order_by(b.id)).all())
        return [RawBatch(*r[:4], bytes(r.data), r.shard) for r in rows]

    def count_reports(self) -> int:
        query = select(func.coalesce(func.sum(schema.report_batches.c.n), 0))
        return int(self.read(lambda conn: conn.execute(query).scalar_one()))

    # -- retention -----------------------------------------------------------------------
    def prune(self, now_minute: int, raw_keep_minutes: int, minute_keep_minutes: int) -> None:
        """Forgets raw reports older than `raw_keep_minutes` and rolls minute counts older than
        `minute_keep_minutes` into hourly ones, whole hours only (an hour is either all
        minutes or all roll-up). An hour at a time, each in its own transaction: a backlog of
        days never makes one write the size of all of it (SQLite's log would grow by as much)."""
        raw_cutoff_ms = (now_minute - raw_keep_minutes) * 60_000
        cutoff = now_minute - minute_keep_minutes
        cutoff -= cutoff % 60
        b = schema.report_batches.c
        c = schema.counts.c

        def forget_raw(before: int) -> Callable[[Connection], None]:
            return lambda conn: conn.execute(
                delete(schema.report_batches).where(b.last_ms < before)
            ).close()

        def roll_up(hour: int) -> Callable[[Connection], None]:
            return lambda conn: self._roll_up(conn, hour)

        while True:  # the oldest hour present each time: a stray old time costs one round
            oldest_ms = self.read(lambda conn: conn.execute(select(func.min(b.last_ms))).scalar())
            if oldest_ms is None or oldest_ms >= raw_cutoff_ms:
                break
            hour_ms = int(oldest_ms) - int(oldest_ms) % 3_600_000
            self.write(forget_raw(min(hour_ms + 3_600_000, raw_cutoff_ms)))
        while True:
            oldest = self.read(lambda conn: conn.execute(select(func.min(c.slot))).scalar())
            if oldest is None or int(oldest) * schema.SLOT_MINUTES >= cutoff:
                break
            self.write(roll_up(int(oldest) * schema.SLOT_MINUTES // 60))
        self.write(
            lambda conn: conn.execute(
                delete(schema.applied).where(
                    schema.applied.c.applied_ms < int(time.time() * 1000) - 86_400_000
                )
            )
        )

    def _roll_up(self, conn: Connection, hour: int) -> None:
        """One hour of minute counts into hourly counts."""
        per_hour = 60 // schema.SLOT_MINUTES
        slots = {"first": hour * per_hour, "end": (hour + 1) * per_hour}
        conn.execute(
            text(
                "INSERT INTO counts_hourly (series_id, hour, n) "
                "SELECT series_id, minute / 60, SUM(n) FROM counts "
                "WHERE slot >= :first AND slot < :end GROUP BY series_id, minute / 60 "
                "ON CONFLICT (series_id, hour) DO UPDATE SET n = counts_hourly.n + excluded.n"
            ),
            slots,
        )
        conn.execute(text("DELETE FROM counts WHERE slot >= :first AND slot < :end"), slots)


def signed64(value: int) -> int:
    """Hashes are unsigned 64-bit; databases store signed BIGINT."""
    return _to_signed(value)
