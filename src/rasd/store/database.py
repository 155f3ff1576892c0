"""One database engine and how reads and writes are run on it: what every part of the SQL
store stands on. SQLite and PostgreSQL override how writes are run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite

from rasd.store import schema

T = TypeVar("T")


class Database:
    """The engine, its dialect's upsert and placeholder, and transactions on it."""

    dialect = "sql"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        self._param = "%s" if engine.dialect.name == "postgresql" else "?"

    def write(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.begin() as conn:
            return fn(conn)

    def read(self, fn: Callable[[Connection], T]) -> T:
        with self.engine.connect() as conn:
            return fn(conn)

    def migrate(self) -> None:
        schema.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()
