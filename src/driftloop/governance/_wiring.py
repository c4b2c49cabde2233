"""The approval service built from a workspace's services (the composition it uses).

Typed against a protocol of the services it needs, so this package never imports the
workspace.
"""

from __future__ import annotations

from typing import Protocol

from driftloop.governance._approvals import ApprovalService
from driftloop.governance._models import ApprovalRequest
from driftloop.governance._notify import ApprovalNotifier
from driftloop.governance._protections import ENDPOINT
from driftloop.monitoring._delivery import WebhookSender
from driftloop.monitoring._service import MonitoringService
from driftloop.registry._service import RegistryService
from driftloop.serving._service import ServingService
from driftloop.store import MetadataStore


class ApprovalServices(Protocol):
    @property
    def store(self) -> MetadataStore: ...
    @property
    def user(self) -> str: ...
    @property
    def registry(self) -> RegistryService: ...
    @property
    def serving(self) -> ServingService: ...
    @property
    def monitoring(self) -> MonitoringService: ...


def build_approvals(services: ApprovalServices) -> ApprovalService:
    def webhooks(request: ApprovalRequest) -> list[str]:
        endpoints = {t.split(":", 1)[1] for t in request.targets if t.startswith(f"{ENDPOINT}:")}
        for endpoint in services.serving.list_endpoints():
            routes = (endpoint.deployment.primary, endpoint.deployment.canary)
            if any(r is not None and r.model_name == request.model for r in routes):
                endpoints.add(endpoint.name)
        urls = []
        for endpoint_name in sorted(endpoints):
            for monitor in services.monitoring.list_monitors(endpoint_name):
                rules = services.monitoring.alert_rules(monitor.name)
                urls += [rule.webhook for rule in rules if rule.webhook]
        return urls

    return ApprovalService(
        services.store,
        services.user,
        check_version=services.registry.get_version,
        notify=ApprovalNotifier(webhooks, WebhookSender().send),
    )
