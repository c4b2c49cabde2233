"""closed loop tables

Revision ID: 0006
Revises: 0005
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
        "loop_policies",
        sa.Column("endpoint", sa.String(length=256), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("pinned_version", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("endpoint", name=op.f("pk_loop_policies")),
    )
    op.create_table(
        "loop_episodes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("endpoint", sa.String(length=256), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("pipeline_run_id", sa.String(length=64), nullable=True),
        sa.Column("challenger_version", sa.Integer(), nullable=True),
        sa.Column("champion_version", sa.Integer(), nullable=True),
        sa.Column("canary_started_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_episodes")),
    )
    op.create_index(op.f("ix_loop_episodes_endpoint"), "loop_episodes", ["endpoint"])
    # One open episode per endpoint: never two retrainings, never two canaries.
    op.create_index(
        "uq_loop_episodes_open",
        "loop_episodes",
        ["endpoint"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "loop_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("episode_id", sa.String(length=32), nullable=True),
        sa.Column("endpoint", sa.String(length=256), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["loop_episodes.id"],
            name=op.f("fk_loop_decisions_episode_id_loop_episodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_decisions")),
    )
    op.create_index(op.f("ix_loop_decisions_endpoint"), "loop_decisions", ["endpoint"])
    op.create_index(op.f("ix_loop_decisions_episode_id"), "loop_decisions", ["episode_id"])


def downgrade() -> None:
    op.drop_table("loop_decisions")
    op.drop_index("uq_loop_episodes_open", table_name="loop_episodes")
    op.drop_table("loop_episodes")
    op.drop_table("loop_policies")
