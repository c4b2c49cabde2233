"""features tables

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_entities",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("join_keys", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feature_entities")),
    )
    op.create_table(
        "feature_views",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_feature_views")),
    )
    op.create_table(
        "feature_view_state",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_materialized_at", sa.DateTime(), nullable=True),
        sa.Column("materialized_until", sa.DateTime(), nullable=True),
        sa.Column("source_watermark", sa.DateTime(), nullable=True),
        sa.Column("rows_written", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feature_view_state")),
    )


def downgrade() -> None:
    op.drop_table("feature_view_state")
    op.drop_table("feature_views")
    op.drop_table("feature_entities")
