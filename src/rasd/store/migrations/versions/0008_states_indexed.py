"""Incidents and events indexed by state: the open incidents, which every page, feed and
badge asks for, are found without reading every incident kept, and so is a state's page.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_state_start", "incidents", ["state", "start_ms"])
    op.create_index("ix_events_state_start", "events", ["state", "start_ms"])


def downgrade() -> None:
    op.drop_index("ix_events_state_start", table_name="events")
    op.drop_index("ix_incidents_state_start", table_name="incidents")
