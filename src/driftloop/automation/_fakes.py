"""In-memory stand-ins for the loop's collaborators (``dl.testing.FakeLoopWorld``).

They implement the protocols of ``_protocols.py`` honestly (idempotent submits, whole
routing changes), so the loop's own logic can be tested on every path, crashes included,
without a server or a pipeline behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from driftloop.automation._gate import ModelEvidence
from driftloop.automation._policy import LoopPolicy
from driftloop.automation._protocols import Routing, TrainingStatus
from driftloop.automation._rollout import RouteStats
from driftloop.automation._service import LoopParts


@dataclass
class FakeLoopWorld:
    """A registry, a pipeline runner, an endpoint and its live figures, all in memory.

    Set ``next_model_version`` and ``training`` to steer the retraining, ``evidence`` per
    version to steer the gate, ``canary_stats``/``champion_stats`` to steer the rollout.
    """

    primary: int | None = 1
    canary: int | None = None
    canary_weight: float = 0.0
    next_model_version: int = 2
    training: str = "succeeded"
    training_error: str | None = None
    evidence: dict[int, ModelEvidence] = field(default_factory=dict)
    canary_stats: RouteStats = field(default_factory=lambda: RouteStats(requests=0))
    champion_stats: RouteStats = field(default_factory=lambda: RouteStats(requests=0))
    submitted: dict[str, str] = field(default_factory=dict)
    submitted_params: dict[str, dict[str, object]] = field(default_factory=dict)
    deployments: list[Routing] = field(default_factory=list)
    notifications: list[tuple[str, str, str]] = field(default_factory=list)
    # the monitor's firing alerts, as payloads: {"id", "rule", "model_version", "route"...}
    firing_alerts: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)  # runs stopped by an abandon

    # Trainer
    def submit(self, policy: LoopPolicy, episode_id: str, now: datetime) -> str:
        self.submitted_params[episode_id] = dict(policy.params)
        return self.submitted.setdefault(episode_id, f"run-{len(self.submitted) + 1}")

    def status(self, policy: LoopPolicy, run_id: str) -> TrainingStatus:
        if self.training == "succeeded":
            return TrainingStatus("succeeded", self.next_model_version)
        if self.training == "failed":
            return TrainingStatus("failed", error=self.training_error or "step 'train' failed")
        return TrainingStatus("running")

    def cancel(self, run_id: str) -> None:
        self.cancelled.append(run_id)
        self.training = "failed"

    # Evaluator
    def evidence_of(self, version: int) -> ModelEvidence:
        return self.evidence.get(version, ModelEvidence())

    # Router
    def routing(self, endpoint: str) -> Routing:
        return Routing(self.primary, self.canary, self.canary_weight)

    def start_canary(self, policy: LoopPolicy, version: int, weight: float) -> None:
        self._deploy(self.primary, version, weight)

    def promote(self, policy: LoopPolicy, version: int) -> None:
        if self.primary != version:  # idempotent, as the real router is
            self._deploy(version, None, 0.0)

    def drop_canary(self, policy: LoopPolicy) -> None:
        self._deploy(self.primary, None, 0.0)

    def _deploy(self, primary: int | None, canary: int | None, weight: float) -> None:
        if primary is None:
            raise AssertionError("a deployment must always have a primary")
        self.primary, self.canary, self.canary_weight = primary, canary, weight
        self.deployments.append(Routing(primary, canary, weight))

    # LiveMetrics
    def route_stats(
        self, policy: LoopPolicy, since: datetime, now: datetime
    ) -> tuple[RouteStats, RouteStats]:
        return self.canary_stats, self.champion_stats

    # Notifier
    def notify(self, endpoint: str, kind: str, summary: str) -> None:
        self.notifications.append((endpoint, kind, summary))

    # FiringAlerts
    def firing(self, endpoint: str, rules: list[str]) -> list[dict[str, Any]]:
        return [a for a in self.firing_alerts if a.get("rule") in rules]

    def parts(self) -> LoopParts:
        return LoopParts(
            trainer=self,
            evaluator=_Evaluator(self),
            router=self,
            live=self,
            notifier=self,
            alerts=self,
        )


@dataclass
class _Evaluator:
    world: FakeLoopWorld

    def evidence(self, policy: LoopPolicy, version: int, now: datetime) -> ModelEvidence:
        return self.world.evidence_of(version)
