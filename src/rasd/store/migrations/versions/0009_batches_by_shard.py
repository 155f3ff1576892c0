"""Raw report batches name the cluster shard that counted them: a shard taken over rebuilds
its dedupe windows from its own recent rows, not from every shard's. No index: PostgreSQL reads
the recent range on ix_report_batches_last and filters the shard on the way.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows stored before name no shard; a take-over reads them too, until they age out
    op.add_column("report_batches", sa.Column("shard", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_batches") as batch:
        batch.drop_column("shard")
