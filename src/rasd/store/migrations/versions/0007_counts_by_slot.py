"""Minute counts kept in order of quarter hour, series, minute: a busy minute's commit writes
the pages of its quarter hour, not one page per series.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 22:00:00
"""

from __future__ import annotations

from alembic import op

from rasd.store.migrations import rekey_counts

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rekey_counts(op.get_bind(), by_slot=True)


def downgrade() -> None:
    rekey_counts(op.get_bind(), by_slot=False)
