"""Records of the model registry. Frozen, slotted, UTC-aware; never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from driftloop.registry._manifest import OnnxInfo
from driftloop.registry._signature import ModelSignature


class ModelStatus(StrEnum):
    """``pending`` while its files are checked, then ``ready`` or ``failed``; or ``archived``."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    name: str
    description: str
    tags: dict[str, str]
    created_by: str
    created_at: datetime
    updated_at: datetime
    latest_version: int | None = None
    aliases: dict[str, int] = field(default_factory=dict)
    deleted_at: datetime | None = None
    deleted_by: str | None = None


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A registered version: its bytes (``model_digest``) and where they came from (``run_id``)."""

    name: str
    version: int
    run_id: str | None
    artifact_path: str
    model_digest: str
    flavor: str
    status: ModelStatus
    status_message: str
    description: str
    tags: dict[str, str]
    signature: ModelSignature | None
    requirements: dict[str, str]
    created_by: str
    created_at: datetime
    updated_at: datetime
    aliases: tuple[str, ...] = ()
    # Set while the version is deleted (``ws.registry.delete_version``): who, and when.
    deleted_at: datetime | None = None
    deleted_by: str | None = None

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class AliasEvent:
    """One change of an alias: ``action`` is set, move or remove."""

    name: str
    alias: str
    action: str
    from_version: int | None
    to_version: int | None
    user: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RunLinks:
    """What a model version's run records: code commit, params, metrics, input datasets."""

    code_commit: str | None
    params: dict[str, str]
    metrics: dict[str, float]
    datasets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LoggedModel:
    """What ``dl.log_model`` stored: the model folder in the run, its digest, maybe a version."""

    run_id: str
    artifact_path: str
    model_digest: str
    flavor: str
    signature: ModelSignature | None
    requirements: dict[str, str]
    onnx: OnnxInfo | None = None
    version: ModelVersion | None = None

    @property
    def uri(self) -> str:
        return f"runs:/{self.run_id}/{self.artifact_path}"


@dataclass(frozen=True, slots=True)
class LineageNode:
    id: str
    kind: str  # model_version, run, code, params, metrics, dataset, deployment
    label: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineageEdge:
    source: str
    target: str
    relation: str  # produced_by, ran_code, used_params, scored, read, deployed_as


@dataclass(frozen=True, slots=True)
class Lineage:
    """A graph rooted at one model version: back to run, code and data, forward to deployments."""

    root: str
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]

    def node(self, node_id: str) -> LineageNode:
        return next(n for n in self.nodes if n.id == node_id)

    def children(self, node_id: str) -> list[tuple[LineageEdge, LineageNode]]:
        return [(e, self.node(e.target)) for e in self.edges if e.source == node_id]

    def of_kind(self, kind: str) -> list[LineageNode]:
        return [n for n in self.nodes if n.kind == kind]
