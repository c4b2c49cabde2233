"""The loop's parts built from a workspace's services (the composition the workspace uses).

Typed against a protocol of the services it needs, so this package never imports the
workspace; the serving parts are built on first need, so reading history stays light.
"""

from __future__ import annotations

from typing import Protocol

from driftloop.automation._alerting import MonitorAlerts
from driftloop.automation._evaluation import WorkspaceEvaluator
from driftloop.automation._live import LogLiveMetrics
from driftloop.automation._references import PolicyReferences
from driftloop.automation._scheduling import AlertChannelsNotifier
from driftloop.automation._service import Clock, LoopParts, LoopService
from driftloop.automation._serving import DeploymentRouter
from driftloop.automation._training import PipelineTrainer
from driftloop.data._service import DatasetService
from driftloop.governance._approvals import ApprovalService
from driftloop.monitoring._service import MonitoringService
from driftloop.pipelines._service import PipelineService
from driftloop.pipelines._triggers import TriggerService
from driftloop.registry._service import RegistryService
from driftloop.serving._log_reader import PredictionLogService
from driftloop.serving._service import ServingService
from driftloop.store import MetadataStore


class LoopServices(Protocol):
    @property
    def store(self) -> MetadataStore: ...
    @property
    def user(self) -> str: ...
    @property
    def pipelines(self) -> PipelineService: ...
    @property
    def serving(self) -> ServingService: ...
    @property
    def registry(self) -> RegistryService: ...
    @property
    def predictions(self) -> PredictionLogService: ...
    @property
    def datasets(self) -> DatasetService: ...
    @property
    def triggers(self) -> TriggerService: ...
    @property
    def monitoring(self) -> MonitoringService: ...
    @property
    def approvals(self) -> ApprovalService: ...


def build_loop(services: LoopServices, clock: Clock) -> LoopService:
    def webhooks() -> dict[str, str]:
        rules = services.monitoring.alert_rules()
        return {rule.name: rule.webhook for rule in rules if rule.webhook}

    def parts() -> LoopParts:
        return LoopParts(
            trainer=PipelineTrainer(services.pipelines),
            evaluator=WorkspaceEvaluator(
                services.registry, services.predictions, services.datasets
            ),
            router=DeploymentRouter(services.serving),
            live=LogLiveMetrics(services.predictions),
            notifier=AlertChannelsNotifier(lambda e: loop.journal.policy(e).policy, webhooks),
            alerts=MonitorAlerts(services.monitoring),
            approvals=services.approvals,
        )

    references = PolicyReferences(services.registry, services.datasets, services.pipelines)
    loop = LoopService(
        services.store,
        parts,
        clock,
        services.user,
        triggers=services.triggers,
        references=references.check,
    )
    return loop
