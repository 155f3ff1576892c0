"""Subscriptions people make themselves wait for a confirmation through their own channel.

Revision ID: 0003
Revises: 0002
Create Date: 2024-07-01 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "confirmations",
        sa.Column("subscription_id", sa.String(32), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_ms", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_confirmations_token"),
    )
    op.create_index("ix_confirmations_expires", "confirmations", ["expires_ms"])


def downgrade() -> None:
    op.drop_table("confirmations")
