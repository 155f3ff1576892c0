"""The tables of telling people: subscriptions, the confirmations that wait for their owners,
and the deliveries of the outbox. `rasd.notify` holds the rules; this keeps and finds rows.

Some writes must go together with others (a subscription, its confirmation and the message
that asks for it): the methods ending in `_in` take the caller's transaction (a `Transaction`
from `Store.write`), the others make their own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    delete,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from rasd.store import schema
from rasd.store.base import Store
from rasd.store.paging import page_of

Row = dict[str, Any]
# what `Store.write` hands its function: the writes made through it commit together
Transaction = Connection

_s = schema.subscriptions.c
_c = schema.confirmations.c
_d = schema.deliveries.c
# a subscription with the end of its wait when it waits for its owner's confirmation
_WITH_WAIT = select(schema.subscriptions, _c.expires_ms.label("confirm_by_ms")).select_from(
    schema.subscriptions.outerjoin(
        schema.confirmations, and_(_c.subscription_id == _s.id, _c.confirmed_ms.is_(None))
    )
)


def _in_states(states: Collection[str]) -> ColumnElement[bool]:
    """Active; pending (not active, waiting for confirmation); ended (neither)."""
    waiting = _c.expires_ms.is_not(None)
    each = {
        "active": _s.active.is_(True),
        "pending": _s.active.is_(False) & waiting,
        "ended": _s.active.is_(False) & ~waiting,
    }
    chosen = [each[state] for state in states]
    return or_(*chosen) if chosen else false()


def _all(conn: Connection, query: Any) -> list[Row]:
    return [dict(r._mapping) for r in conn.execute(query).all()]


class SubscriptionRows:
    """Rows carry `confirm_by_ms`, the end of the wait of one still to be confirmed."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add_in(self, tx: Transaction, row: Row) -> None:
        tx.execute(schema.subscriptions.insert(), row)

    def add(self, row: Row) -> None:
        self.store.write(lambda tx: self.add_in(tx, row))

    def find_in(
        self,
        tx: Transaction,
        *,
        target: str,
        states: Collection[str],
        scope: tuple[str, str] | None = None,
    ) -> list[Row]:
        """This URL's subscriptions in these states (of this scope, if given), oldest first."""
        query = _WITH_WAIT.where(_s.target == target, _in_states(states))
        if scope is not None:
            query = query.where(_s.scope_kind == scope[0], _s.scope_value == scope[1])
        return _all(tx, query.order_by(_s.created_ms, _s.id))

    def get(self, subscription_id: str) -> Row | None:
        query = _WITH_WAIT.where(_s.id == subscription_id)
        found = self.store.read(lambda conn: _all(conn, query))
        return found[0] if found else None

    def many(self, ids: Iterable[str]) -> list[Row]:
        wanted = sorted(set(ids))
        if not wanted:
            return []
        query = _WITH_WAIT.where(_s.id.in_(wanted))
        return self.store.read(lambda conn: _all(conn, query))

    def page(
        self, *, states: Collection[str] | None, limit: int, offset: int
    ) -> tuple[list[Row], int]:
        """Oldest first, in these states (all of them: None), and how many there are."""
        where = true() if states is None else _in_states(states)
        query = _WITH_WAIT.where(where).order_by(_s.created_ms, _s.id).limit(limit).offset(offset)
        counting = select(func.count()).select_from(_WITH_WAIT.where(where).subquery())

        def run(conn: Connection) -> tuple[list[Row], int]:
            return _all(conn, query), int(conn.execute(counting).scalar_one())

        return self.store.read(run)

    def end(self, subscription_id: str) -> bool:
        """Ends an active subscription, and refuses the confirmation of a waiting one: whether
        there was either to end."""
        ending = (
            update(schema.subscriptions)
            .where(_s.id == subscription_id, _s.active.is_(True))
            .values(active=False)
        )
        refusing = delete(schema.confirmations).where(
            _c.subscription_id == subscription_id, _c.confirmed_ms.is_(None)
        )

        def run(tx: Transaction) -> bool:
            ended = tx.execute(ending).rowcount
            refused = tx.execute(refusing).rowcount
            return bool(ended or refused)

        return self.store.write(run)

    def active_for(self, *, service: str, owner: str, countries: Collection[str]) -> list[Row]:
        """Active subscriptions to everything, this service, its owner or one of these
        countries, oldest first."""
        wanted = (
            (_s.scope_kind == "all")
            | ((_s.scope_kind == "service") & (_s.scope_value == service))
            | ((_s.scope_kind == "owner") & (_s.scope_value == owner))
        )
        if countries:
            wanted = wanted | ((_s.scope_kind == "country") & _s.scope_value.in_(sorted(countries)))
        query = (
            select(schema.subscriptions)
            .where(_s.active.is_(True))
            .where(wanted)
            .order_by(_s.created_ms, _s.id)
        )
        return self.store.read(lambda conn: _all(conn, query))


class ConfirmationRows:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add_in(self, tx: Transaction, row: Row) -> None:
        tx.execute(schema.confirmations.insert(), row)

    def by_token_in(self, tx: Transaction, token_hash: str) -> Row | None:
        found = _all(tx, select(schema.confirmations).where(_c.token_hash == token_hash))
        return found[0] if found else None

    def confirm_in(self, tx: Transaction, subscription_id: str, at_ms: int) -> None:
        """The confirmation taken, the subscription active."""
        tx.execute(
            update(schema.confirmations)
            .where(_c.subscription_id == subscription_id)
            .values(confirmed_ms=at_ms)
        )
        tx.execute(update(schema.subscriptions).where(_s.id == subscription_id).values(active=True))

    def forget_lapsed_in(self, tx: Transaction, now_ms: int) -> int:
        """Forgets the requests nobody confirmed by `now_ms`, with their messages; how many."""
        lapsed = [
            str(r[0])
            for r in tx.execute(
                select(_c.subscription_id).where(_c.confirmed_ms.is_(None), _c.expires_ms <= now_ms)
            ).all()
        ]
        if not lapsed:
            return 0
        tx.execute(delete(schema.deliveries).where(_d.subscription_id.in_(lapsed)))
        tx.execute(delete(schema.subscriptions).where(_s.id.in_(lapsed), _s.active.is_(False)))
        tx.execute(delete(schema.confirmations).where(_c.subscription_id.in_(lapsed)))
        return len(lapsed)


class DeliveryRows:
    def __init__(self, store: Store) -> None:
        self.store = store
        engine = getattr(store, "engine", None)
        postgres = engine is not None and engine.dialect.name == "postgresql"
        self._insert = postgresql.insert if postgres else sqlite.insert

    def add_in(self, tx: Transaction, rows: Sequence[Row]) -> int:
        """Adds the rows, but not one whose (subscription, dedupe) is there: how many went in."""
        stmt = (
            self._insert(schema.deliveries)
            .on_conflict_do_nothing(index_elements=["subscription_id", "dedupe"])
            .returning(_d.id)
        )
        return sum(tx.execute(stmt, row).first() is not None for row in rows)

    def add(self, rows: Sequence[Row]) -> int:
        return self.store.write(lambda tx: self.add_in(tx, rows)) if rows else 0

    def lease_due(self, now_ms: int, *, limit: int, until_ms: int) -> list[Row]:
        """Pending rows due by `now_ms`, made due again only at `until_ms`: whoever takes
        them has them alone until then. By id."""

        def run(tx: Transaction) -> list[Row]:
            ids = [
                r.id
                for r in tx.execute(
                    select(_d.id)
                    .where(_d.status == "pending", _d.next_ms <= now_ms)
                    .order_by(_d.next_ms, _d.id)
                    .limit(limit)
                ).all()
            ]
            if not ids:
                return []
            leased = _all(
                tx,
                update(schema.deliveries)
                .where(_d.id.in_(ids), _d.status == "pending", _d.next_ms <= now_ms)
                .values(next_ms=until_ms)
                .returning(*schema.deliveries.c),
            )
            return sorted(leased, key=lambda r: int(r["id"]))

        return self.store.write(run)

    def change(self, delivery_id: int, values: Mapping[str, Any]) -> None:
        stmt = update(schema.deliveries).where(_d.id == delivery_id).values(**values)
        self.store.write(lambda tx: tx.execute(stmt))

    def cancel_pending(self, *, incident_id: str, kind: str, reason: str) -> set[str]:
        """Cancels the pending rows of one kind about an incident; whose they were."""
        stmt = (
            update(schema.deliveries)
            .where(_d.incident_id == incident_id, _d.kind == kind, _d.status == "pending")
            .values(status="cancelled", last_error=reason)
            .returning(_d.subscription_id)
        )
        rows = self.store.write(lambda tx: tx.execute(stmt).all())
        return {str(r.subscription_id) for r in rows}

    def get(self, delivery_id: int) -> Row | None:
        query = select(schema.deliveries).where(_d.id == delivery_id)
        found = self.store.read(lambda conn: _all(conn, query))
        return found[0] if found else None

    def page(
        self, *, status: str | None, subscription_id: str | None, limit: int, offset: int
    ) -> tuple[list[Row], int]:
        """Newest first, and how many there are."""
        where = []
        if status is not None:
            where.append(_d.status == status)
        if subscription_id is not None:
            where.append(_d.subscription_id == subscription_id)
        return page_of(
            self.store, schema.deliveries, where, [_d.id.desc()], limit=limit, offset=offset
        )

    def by_status(self) -> dict[str, int]:
        query = select(_d.status, func.count()).group_by(_d.status)
        rows = self.store.read(lambda conn: conn.execute(query).all())
        return {str(status): int(n) for status, n in rows}
