"""Tables of the feature store: entities, versioned feature views, materialization state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, SoftDeleted, UTCDateTime


class FeatureEntityRow(Base):
    __tablename__ = "feature_entities"

    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    join_keys: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeatureViewRow(SoftDeleted, Base):
    """One version of a view; (name, version) as the key makes concurrent applies collide, not
    overwrite: the loser retries with the next version number."""

    __tablename__ = "feature_views"

    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(80))
    spec: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(128))


class FeatureViewStateRow(Base):
    """Where online materialization of a view stands (one row per view)."""

    __tablename__ = "feature_view_state"

    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    last_materialized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    materialized_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_watermark: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
