"""lifecycle: soft delete, the lifecycle log, purged version numbers, pipeline run cancels

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The tables of the objects that can be deleted and restored.
DELETABLE = (
    "experiments",
    "runs",
    "datasets",
    "dataset_versions",
    "registered_models",
    "model_versions",
    "feature_views",
    "deployments",
    "monitors",
    "alert_rules",
    "triggers",
    "loop_policies",
)


def upgrade() -> None:
    op.create_table(
        "lifecycle_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_events")),
    )
    op.create_index(
        "ix_lifecycle_events_kind_name", "lifecycle_events", ["kind", "name", "id"], unique=False
    )
    op.create_table(
        "purged_versions",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=512), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", "scope", name=op.f("pk_purged_versions")),
    )
    # Nullable: every existing row is active (never deleted).
    for table in DELETABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column("deleted_by", sa.String(length=128), nullable=True))
    with op.batch_alter_table("pipeline_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_requested_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("cancel_requested_by", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pipeline_runs", schema=None) as batch_op:
        batch_op.drop_column("cancel_requested_by")
        batch_op.drop_column("cancel_requested_at")
    for table in DELETABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("deleted_by")
            batch_op.drop_column("deleted_at")
    op.drop_table("purged_versions")
    op.drop_index("ix_lifecycle_events_kind_name", table_name="lifecycle_events")
    op.drop_table("lifecycle_events")
