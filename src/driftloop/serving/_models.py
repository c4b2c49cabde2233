"""Records of serving: deployments of endpoints and the routes they list. Frozen, UTC-aware."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RouteKind(StrEnum):
    """``primary`` answers by default, ``canary`` answers a weighted share, ``shadow`` a copy."""

    PRIMARY = "primary"
    CANARY = "canary"
    SHADOW = "shadow"


@dataclass(frozen=True, slots=True)
class DeploymentRoute:
    """One model version behind an endpoint; ``ref`` is the reference as it was given."""

    kind: RouteKind
    model_name: str
    model_version: int
    ref: str

    @property
    def uri(self) -> str:
        return f"models:/{self.model_name}/{self.model_version}"


@dataclass(frozen=True, slots=True)
class BatchingOptions:
    """Adaptive micro-batching of one endpoint: off unless ``max_batch_size`` > 1."""

    max_batch_size: int = 1
    max_wait_ms: float = 2.0

    @property
    def enabled(self) -> bool:
        return self.max_batch_size > 1


@dataclass(frozen=True, slots=True)
class Deployment:
    """Version ``version`` of what endpoint ``endpoint`` serves; the newest version is live.

    ``action`` is ``deploy`` or ``rollback``; ``source_version`` is the deployment a
    rollback copied (its own version otherwise); ``changes`` says what changed.
    """

    endpoint: str
    version: int
    action: str
    primary: DeploymentRoute
    canary: DeploymentRoute | None
    canary_weight: float
    shadow: DeploymentRoute | None
    sticky_key: str | None
    batching: BatchingOptions
    features: tuple[str, ...]
    source_version: int
    changes: str
    created_by: str
    created_at: datetime
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def routes(self) -> tuple[DeploymentRoute, ...]:
        return tuple(r for r in (self.primary, self.canary, self.shadow) if r is not None)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An endpoint and its live deployment (its last one, with who deleted it, if deleted)."""

    name: str
    deployment: Deployment
    deleted_at: datetime | None = None
    deleted_by: str | None = None
