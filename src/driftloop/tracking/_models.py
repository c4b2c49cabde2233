"""Records of experiment tracking. Frozen, slotted, UTC-aware; never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    KILLED = "killed"


@dataclass(frozen=True, slots=True)
class Experiment:
    """An experiment; ``deleted_at``/``deleted_by`` are set while it is deleted."""

    id: int
    name: str
    description: str
    created_at: datetime
    deleted_at: datetime | None = None
    deleted_by: str | None = None


@dataclass(frozen=True, slots=True)
class Metric:
    """One logged value: ``timestamp_ms`` is milliseconds since the epoch (UTC)."""

    key: str
    value: float
    step: int
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class RunArtifact:
    path: str
    digest: str
    size: int


@dataclass(frozen=True, slots=True)
class RunInput:
    """Something a run consumed: ``kind`` says what (``dataset``), ``ref`` which one."""

    kind: str
    ref: str
    role: str = ""


@dataclass(frozen=True, slots=True)
class Run:
    """A tracked run with everything logged so far.

    ``metrics`` holds the latest value per key (highest step, then latest time);
    use ``dl.get_metric_history`` for every value.
    """

    id: str
    name: str
    experiment: str
    status: RunStatus
    user: str
    start_time: datetime
    end_time: datetime | None
    parent_run_id: str | None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    git_commit: str | None = None
    git_dirty: bool | None = None
    entry_point: str | None = None
    seed: int | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[RunInput, ...] = ()
    artifacts: tuple[RunArtifact, ...] = ()
    # Set while the run is deleted (``dl.delete_run``): who deleted it, and when.
    deleted_at: datetime | None = None
    deleted_by: str | None = None

    @property
    def uri(self) -> str:
        return f"runs:/{self.id}"
