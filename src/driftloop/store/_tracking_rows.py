"""Tables of experiment tracking: experiments, runs, params, metrics, tags, inputs, artifacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from driftloop.store._base import Base, SoftDeleted, UTCDateTime


class ExperimentRow(SoftDeleted, Base):
    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EnvironmentRow(Base):
    """Captured environments, deduplicated by content: most runs of a process share one."""

    __tablename__ = "environments"

    digest: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[dict[str, object]] = mapped_column(JSON)


class RunRow(SoftDeleted, Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))
    parent_run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id"), index=True)
    user: Mapped[str] = mapped_column(String(128))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime)
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last sign of life from the process running it; stale while running means killed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    git_commit: Mapped[str | None] = mapped_column(String(64))
    git_dirty: Mapped[bool | None] = mapped_column(Boolean)
    entry_point: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    environment_digest: Mapped[str | None] = mapped_column(ForeignKey("environments.digest"))

    __table_args__ = (Index("ix_runs_experiment_start", "experiment_id", "start_time"),)


# Key/value tables are clustered on (run_id, key) in SQLite (WITHOUT ROWID): a search
# reads all keys of a run, and the (key, value) index then covers the run id too.
_CLUSTERED = {"sqlite_with_rowid": False}


class ParamRow(Base):
    __tablename__ = "params"
    # ix_params_key_value is created by migration 0001 on SQLite only: PostgreSQL
    # cannot btree-index param values up to 6,000 characters long.
    __table_args__ = (_CLUSTERED,)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TagRow(Base):
    __tablename__ = "tags"
    __table_args__ = (_CLUSTERED,)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class MetricRow(Base):
    """Every logged value; the history of a metric."""

    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"))
    key: Mapped[str] = mapped_column(String(250))
    step: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_metrics_run_key_step", "run_id", "key", "step"),)


class LatestMetricRow(Base):
    """The value at the highest step (then latest time) per run and key, for fast search."""

    __tablename__ = "latest_metrics"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_latest_metrics_key_value", "key", "value"), _CLUSTERED)


class RunInputRow(Base):
    """A run's inputs: dataset versions today, anything addressable by a reference later."""

    __tablename__ = "run_inputs"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    ref: Mapped[str] = mapped_column(String(512), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), default="")


class RunArtifactRow(Base):
    """A file logged by a run: its path inside the run and the blob holding its bytes."""

    __tablename__ = "run_artifacts"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    digest: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(BigInteger)
