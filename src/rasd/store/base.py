"""The Store: the union of what Rasd keeps (counts, findings, kept state) with how reads and
writes are run, and the SQL store made of the parts' SQL, which SQLite and PostgreSQL
subclass. Callers that need one part alone annotate with that part's protocol."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy import Connection

from rasd.store.counts import CountStore, SqlCounts
from rasd.store.findings import FindingStore, SqlFindings
from rasd.store.state import SqlState, StateStore

T = TypeVar("T")


class Store(CountStore, FindingStore, StateStore, Protocol):
    """Everything Rasd keeps. Writes are atomic and idempotent by message id."""

    dialect: str

    def migrate(self) -> None: ...

    def close(self) -> None: ...

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` in one write transaction (through the single writer where there is one)."""
        ...

    def read(self, fn: Callable[[Connection], T]) -> T: ...


class SqlStore(SqlCounts, SqlFindings, SqlState):
    """The SQL shared by SQLite and PostgreSQL; subclasses decide how writes are run."""
