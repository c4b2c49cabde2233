"""Tables of monitoring: monitors, their windows, metric series, alert rules and alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, SoftDeleted, UTCDateTime


class MonitorRow(SoftDeleted, Base):
    """A monitor of one endpoint: its reference, windowing and options (``spec``)."""

    __tablename__ = "monitors"

    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(256), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MonitorWindowRow(Base):
    """One computed window of one model version and route; ``summary`` holds its report."""

    __tablename__ = "monitor_windows"
    __table_args__ = (
        UniqueConstraint("monitor", "model_version", "route", "start", name="uq_monitor_windows"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor: Mapped[str] = mapped_column(String(256), index=True)
    endpoint: Mapped[str] = mapped_column(String(256))
    model_name: Mapped[str] = mapped_column(String(256))
    model_version: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(16))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer)
    labeled_rows: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MonitorMetricRow(Base):
    """One value of one series: (monitor, model version, route, metric) over window starts."""

    __tablename__ = "monitor_metrics"
    __table_args__ = (
        UniqueConstraint(
            "monitor", "model_version", "route", "metric", "window_start", name="uq_monitor_metrics"
        ),
        Index("ix_monitor_metrics_series", "monitor", "metric", "window_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    monitor: Mapped[str] = mapped_column(String(256))
    endpoint: Mapped[str] = mapped_column(String(256))
    model_name: Mapped[str] = mapped_column(String(256))
    model_version: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(256))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRuleRow(SoftDeleted, Base):
    """A rule over one metric series of a monitor, and where its alerts go."""

    __tablename__ = "alert_rules"

    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    monitor: Mapped[str] = mapped_column(String(256), index=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertRow(Base):
    """One alert: firing from ``fired_at`` until ``resolved_at``. The partial unique index
    allows one open alert per rule, model version and route: an alert is deduplicated
    by the database, so two schedulers never fire it twice."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "uq_alerts_open",
            "rule",
            "model_version",
            "route",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rule: Mapped[str] = mapped_column(String(256), index=True)
    monitor: Mapped[str] = mapped_column(String(256))
    endpoint: Mapped[str] = mapped_column(String(256))
    model_version: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(256))
    value: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deliveries: Mapped[list[Any]] = mapped_column(JSON)
