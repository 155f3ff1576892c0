"""The first schema: series, counts, hourly roll-ups, raw batches, applied ids, incidents,
events, state and tokens.

Revision ID: 0001
Revises:
Create Date: 2024-05-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# SQLite only numbers a column by itself when it is exactly INTEGER PRIMARY KEY
_BATCH_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("signal", sa.String(64), nullable=False),
        sa.Column("region", sa.String(160), nullable=False),
        sa.UniqueConstraint("service", "signal", "region", name="uq_series_key"),
    )
    op.create_index("ix_series_service", "series", ["service"])
    op.create_table(
        "counts",
        sa.Column("series_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("minute", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_counts_minute", "counts", ["minute"])
    op.create_table(
        "counts_hourly",
        sa.Column("series_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hour", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_batches",
        sa.Column("id", _BATCH_ID, primary_key=True, autoincrement=True),
        sa.Column("first_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_report_batches_last", "report_batches", ["last_ms"])
    op.create_table(
        "applied",
        sa.Column("msg_id", sa.String(128), primary_key=True),
        sa.Column("applied_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_applied_ms", "applied", ["applied_ms"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_incidents_service_start", "incidents", ["service", "start_ms"])
    op.create_table(
        "events",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_events_start", "events", ["start_ms"])
    op.create_table(
        "state",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hash", sa.String(128), nullable=False, unique=True),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "tokens",
        "state",
        "events",
        "incidents",
        "applied",
        "report_batches",
        "counts_hourly",
        "counts",
        "series",
    ):
        op.drop_table(table)
