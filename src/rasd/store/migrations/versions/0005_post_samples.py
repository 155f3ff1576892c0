"""A sample of the complaint posts the live streams brought in, shown on service pages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_samples",
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("post_key", sa.String(200), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(35), nullable=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
    )
    op.create_index("ix_post_samples_service", "post_samples", ["service", "at_ms"])
    op.create_index("ix_post_samples_at", "post_samples", ["at_ms"])


def downgrade() -> None:
    op.drop_table("post_samples")
