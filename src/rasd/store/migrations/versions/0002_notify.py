"""Telling people: subscriptions, deliveries (with the dead-letter list) and official statements.

Revision ID: 0002
Revises: 0001
Create Date: 2024-06-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# SQLite only numbers a column by itself when it is exactly INTEGER PRIMARY KEY
_DELIVERY_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(128), nullable=True),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope_value", sa.String(64), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_subscriptions_scope", "subscriptions", ["scope_kind", "scope_value"])
    op.create_table(
        "deliveries",
        sa.Column("id", _DELIVERY_ID, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.String(32), nullable=False),
        sa.Column("dedupe", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(128), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("sent_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("subscription_id", "dedupe", name="uq_deliveries_dedupe"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_ms"])
    op.create_table(
        "statements",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_statements_service", "statements", ["service", "created_ms"])
    op.create_index("ix_statements_incident", "statements", ["incident_id"])


def downgrade() -> None:
    for table in ("statements", "deliveries", "subscriptions"):
        op.drop_table(table)
