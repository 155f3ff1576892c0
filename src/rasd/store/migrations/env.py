"""Alembic's entry point: always run on a connection handed over by the store."""

from __future__ import annotations

from alembic import context

from rasd.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("migrations run through rasd.store.migrations.upgrade")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot alter tables in place; batch mode copies them instead
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
