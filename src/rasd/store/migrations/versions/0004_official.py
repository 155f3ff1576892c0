"""What providers' own status pages said, one row per incident update.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "official_updates",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("page", sa.String(500), nullable=False),
        sa.Column("incident_ref", sa.String(200), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=True),
        sa.Column("maintenance", sa.Boolean(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("seen_ms", sa.BigInteger(), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_official_updates_service", "official_updates", ["service", "at_ms"])


def downgrade() -> None:
    op.drop_table("official_updates")
