"""deployments

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("endpoint", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("primary_model", sa.String(length=256), nullable=False),
        sa.Column("primary_version", sa.Integer(), nullable=False),
        sa.Column("canary_model", sa.String(length=256), nullable=True),
        sa.Column("canary_version", sa.Integer(), nullable=True),
        sa.Column("canary_weight", sa.Float(), nullable=False),
        sa.Column("shadow_model", sa.String(length=256), nullable=True),
        sa.Column("shadow_version", sa.Integer(), nullable=True),
        sa.Column("sticky_key", sa.String(length=128), nullable=True),
        sa.Column("source_version", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint("endpoint", "version", name="uq_deployments_endpoint_version"),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deployments_canary", ["canary_model", "canary_version"], unique=False
        )
        batch_op.create_index(
            "ix_deployments_primary", ["primary_model", "primary_version"], unique=False
        )
        batch_op.create_index(
            "ix_deployments_shadow", ["shadow_model", "shadow_version"], unique=False
        )


def downgrade() -> None:
    op.drop_table("deployments")
