"""trigger tables

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triggers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("target_kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triggers")),
        sa.UniqueConstraint("name", name=op.f("uq_triggers_name")),
    )
    op.create_index("ix_triggers_kind_source", "triggers", ["kind", "source"], unique=False)
    op.create_table(
        "trigger_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("trigger_id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=256), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=True),
        sa.Column("pipeline_run_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trigger_id"],
            ["triggers.id"],
            name=op.f("fk_trigger_events_trigger_id_triggers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_events")),
        sa.UniqueConstraint(
            "trigger_id", "event_key", name="uq_trigger_events_trigger_id_event_key"
        ),
    )
    op.create_index("ix_trigger_events_status", "trigger_events", ["status"], unique=False)
    op.create_index("ix_trigger_events_claimed_at", "trigger_events", ["claimed_at"], unique=False)
    op.create_table(
        "scheduler_heartbeats",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("host", sa.String(length=256), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_heartbeats")
    op.drop_index("ix_trigger_events_claimed_at", table_name="trigger_events")
    op.drop_index("ix_trigger_events_status", table_name="trigger_events")
    op.drop_table("trigger_events")
    op.drop_index("ix_triggers_kind_source", table_name="triggers")
    op.drop_table("triggers")
