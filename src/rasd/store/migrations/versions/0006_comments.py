"""Comments people write on a service's page, and their moderation state.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("problem", sa.String(32), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("decided_ms", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_comments_service", "comments", ["service", "state", "created_ms"])
    op.create_index("ix_comments_state", "comments", ["state", "created_ms"])
    op.create_index("ix_comments_fingerprint", "comments", ["fingerprint", "created_ms"])


def downgrade() -> None:
    op.drop_table("comments")
