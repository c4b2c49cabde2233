"""What the loop needs from the rest of driftloop, as small protocols.

The loop decides; these do. The workspace wires them to the pipelines, serving and
monitoring services (``_adapters.py``); ``dl.testing`` has in-memory fakes. Every method
that changes something is idempotent, because a restarted scheduler repeats the step it
was in when it died.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from driftloop.automation._gate import ModelEvidence
from driftloop.automation._policy import LoopPolicy
from driftloop.automation._rollout import RouteStats

if TYPE_CHECKING:
    from driftloop.governance._models import ApprovalRequest

TrainingState = Literal["running", "succeeded", "failed"]


@dataclass(frozen=True, slots=True)
class TrainingStatus:
    state: TrainingState
    model_version: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Routing:
    """What an endpoint serves now: its primary version and the canary's, if any."""

    primary: int | None
    canary: int | None = None
    canary_weight: float = 0.0


class Trainer(Protocol):
    """Starts the policy's retraining pipeline and reports on it."""

    def submit(self, policy: LoopPolicy, episode_id: str, now: datetime) -> str:
        """Start (or, if it was started for ``episode_id`` already, find) the run; its id."""
        ...

    def status(self, policy: LoopPolicy, run_id: str) -> TrainingStatus: ...


@runtime_checkable
class CancelsTraining(Protocol):
    """Optional ability of a trainer: stop a retraining (an abandoned episode's)."""

    def cancel(self, run_id: str) -> None:
        """Stop the run; raises a driftloop error if it has ended already."""
        ...


class Evaluator(Protocol):
    """Measures a model version the way the gate compares them."""

    def evidence(self, policy: LoopPolicy, version: int, now: datetime) -> ModelEvidence: ...


class Router(Protocol):
    """Changes what an endpoint serves; each change is one whole new deployment."""

    def routing(self, endpoint: str) -> Routing: ...

    def start_canary(self, policy: LoopPolicy, version: int, weight: float) -> None: ...

    def promote(self, policy: LoopPolicy, version: int) -> None:
        """Make ``version`` the primary (and the model's champion) and drop the canary."""
        ...

    def drop_canary(self, policy: LoopPolicy) -> None: ...


class LiveMetrics(Protocol):
    """The canary's and the champion's live figures since the canary started."""

    def route_stats(
        self, policy: LoopPolicy, since: datetime, now: datetime
    ) -> tuple[RouteStats, RouteStats]: ...


class TriggerRegistry(Protocol):
    """Where the loop declares the triggers that start it (the pipelines' trigger table)."""

    def define(
        self,
        name: str,
        *,
        target: str,
        kind: str = ...,
        target_kind: str = ...,
        cron: str | None = ...,
        dataset: str | None = ...,
        rule: str | None = ...,
    ) -> object: ...


class Notifier(Protocol):
    """Tells people what the loop did, where alerts go."""

    def notify(self, endpoint: str, kind: str, summary: str) -> None: ...


class FiringAlerts(Protocol):
    """The monitor's alerts that are firing now."""

    def firing(self, endpoint: str, rules: list[str]) -> list[dict[str, Any]]:
        """Firing alerts of ``rules`` on ``endpoint``, as their alert payloads (``id``,
        ``rule``, ``model_version``, ``route``, ``metric``, ``value``, ``fired_at``...)."""
        ...


class Approvals(Protocol):
    """Approval requests of model versions (governance's): an episode awaiting approval is
    the request on its challenger, decided by people through `driftloop loop approve` or
    `driftloop approvals approve` alike."""

    def needs_approval(
        self, model: str, *, alias: str | None = None, endpoint: str | None = None
    ) -> bool:
        """True if a protection covers ``alias`` of ``model`` or ``endpoint``."""
        ...

    def request(
        self,
        model: str,
        version: int,
        *,
        alias: str | None = None,
        endpoint: str | None = None,
        reason: str = "",
        episode_id: str | None = None,
        requested_by: str | None = None,
    ) -> ApprovalRequest:
        """Open (or extend, idempotently) the request of ``model`` version ``version``."""
        ...

    def approve(
        self, model: str, version: int, reason: str = "", *, role: str | None = None
    ) -> ApprovalRequest: ...

    def reject(
        self, model: str, version: int, reason: str = "", *, role: str | None = None
    ) -> ApprovalRequest: ...

    def find(self, model: str, version: int) -> ApprovalRequest | None: ...
