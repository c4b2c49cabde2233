"""pipeline tables

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("target", sa.String(length=1024), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pipelines")),
    )
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("pipeline", sa.String(length=256), nullable=False),
        sa.Column("target", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("executor", sa.String(length=256), nullable=False),
        sa.Column("no_cache", sa.Boolean(), nullable=False),
        sa.Column("trigger_event_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_runs")),
    )
    with op.batch_alter_table("pipeline_runs", schema=None) as batch_op:
        batch_op.create_index("ix_pipeline_runs_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_pipeline_runs_pipeline"), ["pipeline"], unique=False)

    op.create_table(
        "pipeline_step_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("pipeline_run_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("function", sa.String(length=1024), nullable=False),
        sa.Column("upstream", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("cache_key", sa.String(length=80), nullable=True),
        sa.Column("cached_from", sa.String(length=32), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("stdout_digest", sa.String(length=80), nullable=True),
        sa.Column("stderr_digest", sa.String(length=80), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pipeline_run_id"],
            ["pipeline_runs.id"],
            name=op.f("fk_pipeline_step_runs_pipeline_run_id_pipeline_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_step_runs")),
    )
    with op.batch_alter_table("pipeline_step_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pipeline_step_runs_cache_key"), ["cache_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pipeline_step_runs_pipeline_run_id"), ["pipeline_run_id"], unique=False
        )
        batch_op.create_index(
            "uq_pipeline_step_runs_run_name", ["pipeline_run_id", "name"], unique=True
        )

    op.create_table(
        "pipeline_step_links",
        sa.Column("step_run_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=512), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["step_run_id"],
            ["pipeline_step_runs.id"],
            name=op.f("fk_pipeline_step_links_step_run_id_pipeline_step_runs"),
        ),
        sa.PrimaryKeyConstraint(
            "step_run_id", "kind", "ref", "role", name=op.f("pk_pipeline_step_links")
        ),
    )
    with op.batch_alter_table("pipeline_step_links", schema=None) as batch_op:
        batch_op.create_index("ix_pipeline_step_links_kind_ref", ["kind", "ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pipeline_step_links", schema=None) as batch_op:
        batch_op.drop_index("ix_pipeline_step_links_kind_ref")
    op.drop_table("pipeline_step_links")
    with op.batch_alter_table("pipeline_step_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_pipeline_step_runs_run_name")
        batch_op.drop_index(batch_op.f("ix_pipeline_step_runs_pipeline_run_id"))
        batch_op.drop_index(batch_op.f("ix_pipeline_step_runs_cache_key"))
    op.drop_table("pipeline_step_runs")
    with op.batch_alter_table("pipeline_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipeline_runs_pipeline"))
        batch_op.drop_index("ix_pipeline_runs_created")
    op.drop_table("pipeline_runs")
    op.drop_table("pipelines")
