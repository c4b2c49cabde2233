"""Tables of serving: one row per deployment version of an endpoint (the history is the table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, SoftDeleted, UTCDateTime


class DeploymentRow(SoftDeleted, Base):
    """What an endpoint serves from ``created_at`` on; the newest version of an endpoint is live.

    Routes are pinned to model versions when deployed; ``spec`` keeps the references as
    given (``churn@champion``) and the per-endpoint serving options.
    """

    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    primary_model: Mapped[str] = mapped_column(String(256))
    primary_version: Mapped[int] = mapped_column(Integer)
    canary_model: Mapped[str | None] = mapped_column(String(256))
    canary_version: Mapped[int | None] = mapped_column(Integer)
    canary_weight: Mapped[float] = mapped_column(Float, default=0.0)
    shadow_model: Mapped[str | None] = mapped_column(String(256))
    shadow_version: Mapped[int | None] = mapped_column(Integer)
    sticky_key: Mapped[str | None] = mapped_column(String(128))
    source_version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("endpoint", "version", name="uq_deployments_endpoint_version"),
        Index("ix_deployments_primary", "primary_model", "primary_version"),
        Index("ix_deployments_canary", "canary_model", "canary_version"),
        Index("ix_deployments_shadow", "shadow_model", "shadow_version"),
    )
