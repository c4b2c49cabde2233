"""Records of pipelines: run and step statuses, stored outputs, and executor messages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class StepStatus(StrEnum):
    """Where a step run (or a whole pipeline run) stands.

    ``cached`` counts as success: the step's stored outputs were reused.
    """

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"  # a person stopped the run (``driftloop pipelines cancel``)

    @property
    def is_done(self) -> bool:
        return self in (StepStatus.SUCCEEDED, StepStatus.CACHED)

    @property
    def is_finished(self) -> bool:
        return self not in (StepStatus.PENDING, StepStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class OutputRef:
    """Where a step's output is kept: a blob of ``kind`` (pickle, parquet, npy) or a reference
    to a dataset or model version. ``digest`` identifies the content for the cache."""

    kind: str
    type_name: str
    digest: str
    ref: str | None = None
    size: int = 0
    # A step with several outputs: one stored output each (``kind`` is "tuple").
    parts: tuple[OutputRef, ...] = ()

    def part(self, index: int | None) -> OutputRef:
        """The whole output (None), or output ``index`` of a step with several."""
        return self if index is None else self.parts[index]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "type_name": self.type_name,
            "digest": self.digest,
            "ref": self.ref,
            "size": self.size,
        }
        if self.parts:
            data["parts"] = [p.to_json() for p in self.parts]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OutputRef:
        return cls(
            kind=str(data["kind"]),
            type_name=str(data["type_name"]),
            digest=str(data["digest"]),
            ref=data.get("ref"),
            size=int(data.get("size", 0)),
            parts=tuple(cls.from_json(p) for p in data.get("parts", ())),
        )


@dataclass(frozen=True, slots=True)
class StepRun:
    """One step of a pipeline run, as recorded."""

    id: str
    name: str
    function: str
    status: StepStatus
    attempt: int
    upstream: tuple[str, ...]
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    cache_key: str | None
    cached_from: str | None
    inputs: Mapping[str, Any]
    output: OutputRef | None
    stdout_digest: str | None
    stderr_digest: str | None
    error: str | None
    heartbeat_at: datetime | None
    # (kind, ref, role): tracking runs, dataset versions and model versions it read or made
    links: tuple[tuple[str, str, str], ...] = ()

    @property
    def tracking_runs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ref for kind, ref, _ in self.links if kind == "run"))

    @property
    def model_versions(self) -> tuple[str, ...]:
        found = (
            ref for kind, ref, role in self.links if kind == "model_version" and role != "input"
        )
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class PipelineRun:
    """One run of a pipeline, with its steps in definition order."""

    id: str
    pipeline: str
    target: str
    status: StepStatus
    params: Mapping[str, Any]
    executor: str
    no_cache: bool
    trigger_event_id: str | None
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    heartbeat_at: datetime | None
    steps: tuple[StepRun, ...] = ()
    # Set once someone asked to cancel the run: who, and when (it then ends cancelled).
    cancel_requested_by: str | None = None
    cancel_requested_at: datetime | None = None

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def succeeded(self) -> bool:
        return self.status is StepStatus.SUCCEEDED

    def step(self, name: str) -> StepRun:
        for step in self.steps:
            if step.name == name:
                return step
        from driftloop.errors import NotFoundError

        names = ", ".join(s.name for s in self.steps)
        raise NotFoundError(f"pipeline run {self.id} has no step {name!r} (steps: {names})")


@dataclass(frozen=True, slots=True)
class StepTask:
    """What an executor runs: one attempt of one step, with everything a worker needs.

    ``function`` is ``module:qualname`` of the step; ``inputs`` maps argument names to
    stored outputs of upstream steps, ``literals`` to plain values (pickled by the
    executor's transport). ``open_workspace`` opens the workspace in the worker (a
    picklable callable: the worker caches what it returns). ``lineage`` holds the
    (run input kind, ref, role) of the dataset and model versions that reach the step,
    recorded as inputs of every tracking run it makes.
    """

    step_run_id: str
    pipeline_run_id: str
    step_name: str
    function: str
    inputs: Mapping[str, OutputRef]
    literals: Mapping[str, Any]
    open_workspace: Callable[[], Any]
    attempt: int = 1
    timeout_s: float | None = None
    cpus: float | None = None
    memory: int | None = None  # bytes
    gpus: float | None = None
    outputs: int = 1  # how many values the step returns (a tuple when more than one)
    lineage: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class StepResult:
    """What came back from one attempt: the stored output or the error, and the logs."""

    step_run_id: str
    ok: bool
    output: OutputRef | None = None
    stdout_digest: str | None = None
    stderr_digest: str | None = None
    log_tail: str = ""
    error_type: str | None = None
    error_message: str | None = None
    traceback: str | None = None
    # (kind, ref, role) the step made or read, found by the worker
    links: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)
    # True when the error is the step's own fault (user code); False for a lost worker
    is_user_error: bool = True

    @property
    def error_text(self) -> str:
        return f"{self.error_type}: {self.error_message}"
