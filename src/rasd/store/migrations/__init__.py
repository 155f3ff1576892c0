"""Alembic migrations of the store's schema.

`upgrade(connection)` brings a database to the newest revision; the scripts live beside this
file, so an installed package migrates without an alembic.ini.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

_HERE = Path(__file__).resolve().parent


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    if revision is None:
        raise RuntimeError("no migrations found")
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> None:
    command.upgrade(config(connection), revision)


def downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(config(connection), revision)


def rekey_counts(connection: Connection, *, by_slot: bool = True) -> None:
    """Rebuilds `counts` with its rows in the order of the primary key asked for: quarter hour,
    series, minute (`by_slot`, revision 0007) or series, minute (before it). Used by the
    migration, and by SQLite, whose files are made from the declared schema, for a file made
    before it."""
    sql = connection.exec_driver_sql
    postgres = connection.dialect.name == "postgresql"
    sql("DROP INDEX ix_counts_minute")
    sql("ALTER TABLE counts RENAME TO counts_before")
    if postgres:  # a table's primary key index keeps its name when the table is renamed
        sql("ALTER INDEX counts_pkey RENAME TO counts_before_pkey")
    columns = "series_id INTEGER NOT NULL, minute BIGINT NOT NULL, n BIGINT NOT NULL"
    if by_slot:
        columns = f"slot BIGINT NOT NULL, {columns}, PRIMARY KEY (slot, series_id, minute)"
        copied = "slot, series_id, minute, n"
        taken = "minute / 15, series_id, minute, n"  # SLOT_MINUTES of revision 0007
    else:
        columns = f"{columns}, PRIMARY KEY (series_id, minute)"
        copied = taken = "series_id, minute, n"
    sql(f"CREATE TABLE counts ({columns})" + ("" if postgres else " WITHOUT ROWID"))
    sql(f"INSERT INTO counts ({copied}) SELECT {taken} FROM counts_before")
    sql("DROP TABLE counts_before")
    sql("CREATE INDEX ix_counts_minute ON counts (minute)")
