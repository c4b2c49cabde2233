"""Tables of schedules and triggers: declarations, claimed events, scheduler heartbeats.

The claim is the row: ``trigger_events`` has UNIQUE(trigger_id, event_key), so of two
schedulers (or a restarted one) racing for the same due time or dataset version, one
insert wins and the other meets the constraint; nothing fires twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, SoftDeleted, UTCDateTime


class TriggerRow(SoftDeleted, Base):
    """One declared trigger: when it fires (kind + spec) and what it starts (target)."""

    __tablename__ = "triggers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # cron | dataset | webhook | manual | alert
    # What an event names to reach this trigger: a dataset or alert rule name (else NULL),
    # indexed so notify() finds its listeners without scanning every spec.
    source: Mapped[str | None] = mapped_column(String(256))
    spec: Mapped[dict[str, object]] = mapped_column(JSON)
    target_kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, object]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_triggers_kind_source", "kind", "source"),)


class TriggerEventRow(Base):
    """One firing of a trigger, claimed by exactly one process."""

    __tablename__ = "trigger_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trigger_id: Mapped[int] = mapped_column(ForeignKey("triggers.id"))
    event_key: Mapped[str] = mapped_column(String(256))
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # claimed | fired | failed
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pipeline_run_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("trigger_id", "event_key", name="uq_trigger_events_trigger_id_event_key"),
        Index("ix_trigger_events_status", "status"),
        Index("ix_trigger_events_claimed_at", "claimed_at"),
    )


class SchedulerHeartbeatRow(Base):
    """A running scheduler's sign of life; judged alive by the age of ``heartbeat_at``."""

    __tablename__ = "scheduler_heartbeats"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(256))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    info: Mapped[dict[str, object]] = mapped_column(JSON)  # jobs, webhook URL, last errors
