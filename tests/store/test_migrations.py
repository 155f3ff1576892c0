"""The Alembic migrations build exactly the schema the code declares, and undo it."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from rasd.store import migrations, open_store, schema
from rasd.store.postgres import engine_url
from store.pg import database


def _check_round_trip(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn)
            assert migrations.current(conn) == migrations.head()
            # a difference means schema.py changed without a migration: add one
            assert compare_metadata(MigrationContext.configure(conn), schema.metadata) == []
            migrations.downgrade(conn, "base")
            assert set(inspect(conn).get_table_names()) == {"alembic_version"}
            migrations.upgrade(conn)
            assert set(inspect(conn).get_table_names()) >= set(schema.metadata.tables)
    finally:
        engine.dispose()


def test_sqlite_migrations_round_trip() -> None:
    _check_round_trip("sqlite://")


@pytest.mark.postgres
def test_postgres_migrations_round_trip() -> None:
    with database() as url:
        _check_round_trip(engine_url(url))


@pytest.mark.postgres
def test_postgres_store_migrates_once_and_again() -> None:
    with database() as url:
        store = open_store(url)
        store.migrate()
        store.add_counts({}, msg_id="kept")
        store.migrate()  # at head already: changes nothing
        assert not store.add_counts({}, msg_id="kept")
        store.close()
