"""Findings: incidents and events, kept as JSON documents with the columns they are found
by. `FindingStore` is what correlation, the API and the pages read them through;
`SqlFindings` its SQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from sqlalchemy import Connection, Row, Table, func, select

from rasd.incidents.model import IncidentState
from rasd.store import schema
from rasd.store.database import Database
from rasd.store.rows import EventRow, EventState, IncidentRow, newest_open

R = TypeVar("R")


class FoundPage(NamedTuple, Generic[R]):
    """One page of incidents or events, and how many match in all."""

    rows: list[R]
    total: int


class FindingStore(Protocol):
    """Incidents and events kept; rows come out typed."""

    def upsert_incidents(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def list_incidents(
        self,
        service: str | None = None,
        state: IncidentState | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[IncidentRow]:
        """Newest first: those still open, or ended after `since`, and begun before `until`."""
        ...

    def page_incidents(
        self,
        service: str | None = None,
        state: IncidentState | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> FoundPage[IncidentRow]:
        """As `list_incidents`, with how many match in all."""
        ...

    def get_incident(self, incident_id: str) -> IncidentRow | None: ...

    def open_incidents(self, service: str | None = None) -> dict[str, IncidentRow]:
        """The open incident of each service (of `service` alone when given), the newest
        where a service has more."""
        ...

    def upsert_events(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def list_events(
        self,
        state: EventState | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[EventRow]:
        """Newest first: those still open, or ended after `since`, and begun before `until`."""
        ...

    def page_events(
        self,
        state: EventState | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> FoundPage[EventRow]:
        """As `list_events`, with how many match in all."""
        ...

    def get_event(self, event_id: str) -> EventRow | None: ...


class SqlFindings(Database):
    """The findings' SQL, the same on SQLite and PostgreSQL."""

    def _upsert_findings(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        stmt = self._insert(table)
        updated = [c.name for c in table.columns if c.name != "id"]
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"], set_={c: getattr(stmt.excluded, c) for c in updated}
        )
        payload = [_with_json(row) for row in rows]
        self.write(lambda conn: conn.execute(stmt, payload))

    def _list_findings(
        self,
        table: Table,
        filters: Mapping[str, str | None],
        since_ms: int | None,
        until_ms: int | None,
        limit: int,
        offset: int,
        shape: Callable[[Row[Any]], R],
        *,
        counted: bool = False,
    ) -> tuple[list[R], int | None]:
        """A page of findings, newest first, and how many match in all when `counted`."""
        c = table.c
        where = [c[column] == value for column, value in filters.items() if value is not None]
        if since_ms is not None:
            # still open, or ended after `since`
            where.append(c.end_ms.is_(None) | (c.end_ms >= since_ms))
        if until_ms is not None:
            where.append(c.start_ms < until_ms)
        query = select(*c).where(*where).order_by(c.start_ms.desc(), c.id)
        query = query.limit(limit).offset(offset)
        counting = select(func.count()).select_from(table).where(*where)

        def run(conn: Connection) -> tuple[list[R], int | None]:
            rows = [shape(r) for r in conn.execute(query).all()]
            # in the same read, so the total and the page agree
            total = int(conn.execute(counting).scalar_one()) if counted else None
            return rows, total

        return self.read(run)

    def _page_findings(
        self,
        table: Table,
        filters: Mapping[str, str | None],
        since_ms: int | None,
        until_ms: int | None,
        limit: int,
        offset: int,
        shape: Callable[[Row[Any]], R],
    ) -> FoundPage[R]:
        rows, total = self._list_findings(
            table, filters, since_ms, until_ms, limit, offset, shape, counted=True
        )
        return FoundPage(rows, total or 0)

    def _get_finding(
        self, table: Table, finding_id: str, shape: Callable[[Row[Any]], R]
    ) -> R | None:
        query = select(*table.c).where(table.c.id == finding_id)
        row = self.read(lambda conn: conn.execute(query).first())
        return None if row is None else shape(row)

    def upsert_incidents(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._upsert_findings(schema.incidents, rows)

    def list_incidents(
        self,
        service: str | None = None,
        state: IncidentState | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[IncidentRow]:
        filters = _incident_filters(service, state)
        return self._list_findings(
            schema.incidents, filters, since_ms, until_ms, limit, offset, _incident
        )[0]

    def page_incidents(
        self,
        service: str | None = None,
        state: IncidentState | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> FoundPage[IncidentRow]:
        filters = _incident_filters(service, state)
        return self._page_findings(
            schema.incidents, filters, since_ms, until_ms, limit, offset, _incident
        )

    def get_incident(self, incident_id: str) -> IncidentRow | None:
        return self._get_finding(schema.incidents, incident_id, _incident)

    def open_incidents(self, service: str | None = None) -> dict[str, IncidentRow]:
        c = schema.incidents.c
        # the open states named, so that the index on state finds them
        query = select(*c).where(c.state.in_(_OPEN_STATES))
        if service is not None:
            query = query.where(c.service == service)
        query = query.order_by(c.start_ms.desc(), c.id)
        rows = self.read(lambda conn: conn.execute(query).all())
        return newest_open(_incident(r) for r in rows)

    def upsert_events(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._upsert_findings(schema.events, rows)

    def list_events(
        self,
        state: EventState | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[EventRow]:
        return self._list_findings(
            schema.events, _event_filters(state), since_ms, until_ms, limit, offset, _event
        )[0]

    def page_events(
        self,
        state: EventState | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> FoundPage[EventRow]:
        return self._page_findings(
            schema.events, _event_filters(state), since_ms, until_ms, limit, offset, _event
        )

    def get_event(self, event_id: str) -> EventRow | None:
        return self._get_finding(schema.events, event_id, _event)


_OPEN_STATES = [str(s) for s in IncidentState if s is not IncidentState.RESOLVED]


def _incident_filters(service: str | None, state: IncidentState | None) -> dict[str, str | None]:
    # the value, not the member: a driver may write an enum by its name
    return {"service": service, "state": None if state is None else str(state)}


def _event_filters(state: EventState | None) -> dict[str, str | None]:
    return {"state": None if state is None else str(state)}


def _document(row: Row[Any]) -> dict[str, Any]:
    return dict(json.loads(row.data))


def _incident(row: Row[Any]) -> IncidentRow:
    return IncidentRow.of(row, _document(row))


def _event(row: Row[Any]) -> EventRow:
    return EventRow.of(row, _document(row))


def _with_json(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if not isinstance(out.get("data"), str):
        out["data"] = json.dumps(out["data"], ensure_ascii=False, sort_keys=True, default=str)
    return out
