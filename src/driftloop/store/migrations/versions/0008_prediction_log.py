"""prediction log: segment index and feedback labels

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prediction_segments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("endpoint", sa.String(length=256), nullable=False),
        sa.Column("model_name", sa.String(length=256), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("min_ts", sa.DateTime(), nullable=False),
        sa.Column("max_ts", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prediction_segments")),
    )
    # Readers select an endpoint's segments overlapping a time window.
    op.create_index(
        "ix_prediction_segments_endpoint_time",
        "prediction_segments",
        ["endpoint", "min_ts", "max_ts"],
    )
    op.create_table(
        "prediction_feedback",
        sa.Column("endpoint", sa.String(length=256), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "endpoint", "request_id", "row_index", name=op.f("pk_prediction_feedback")
        ),
    )
    op.create_index(
        "ix_prediction_feedback_endpoint_received",
        "prediction_feedback",
        ["endpoint", "received_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_prediction_feedback_endpoint_received", table_name="prediction_feedback")
    op.drop_table("prediction_feedback")
    op.drop_index("ix_prediction_segments_endpoint_time", table_name="prediction_segments")
    op.drop_table("prediction_segments")
