"""Tables of pipelines: pipelines by name, pipeline runs, step runs and what steps touched."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, UTCDateTime


class PipelineRow(Base):
    """A pipeline's name and where its code lives, so a name alone can start it again."""

    __tablename__ = "pipelines"

    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    target: Mapped[str] = mapped_column(String(1024))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PipelineRunRow(Base):
    __tablename__ = "pipeline_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    pipeline: Mapped[str] = mapped_column(String(256), index=True)
    target: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    executor: Mapped[str] = mapped_column(String(256))
    no_cache: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger_event_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last sign of life of the process orchestrating it; stale while running means killed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A cancel asked from any process; the orchestrator reads it and stops the run.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_requested_by: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_pipeline_runs_created", "created_at"),)


class StepRunRow(Base):
    """One step of one pipeline run; a retry or a resume raises ``attempt`` on the same row."""

    __tablename__ = "pipeline_step_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    pipeline_run_id: Mapped[str] = mapped_column(ForeignKey("pipeline_runs.id"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    position: Mapped[int] = mapped_column(Integer)
    function: Mapped[str] = mapped_column(String(1024))
    upstream: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    cache_key: Mapped[str | None] = mapped_column(String(80), index=True)
    cached_from: Mapped[str | None] = mapped_column(String(32))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    stdout_digest: Mapped[str | None] = mapped_column(String(80))
    stderr_digest: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_pipeline_step_runs_run_name", "pipeline_run_id", "name", unique=True),
    )


class StepLinkRow(Base):
    """What a step run read or made: tracking runs, dataset versions, model versions.

    Indexed by (kind, ref) so lineage walks from a model version back to its step.
    """

    __tablename__ = "pipeline_step_links"

    step_run_id: Mapped[str] = mapped_column(ForeignKey("pipeline_step_runs.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref: Mapped[str] = mapped_column(String(512), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    __table_args__ = (Index("ix_pipeline_step_links_kind_ref", "kind", "ref"),)
