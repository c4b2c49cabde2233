"""The loop's router: changes to what an endpoint serves, as whole new deployments.

Each change is one deployment row that running servers pick up, so the endpoint always
points at a complete, ready model version: the canary is added to the live deployment,
promotion makes it the primary and the model's ``champion`` in one transaction, a
rollback drops it.
"""

from __future__ import annotations

from driftloop.automation._policy import LoopPolicy
from driftloop.automation._protocols import Routing
from driftloop.automation._service import CHAMPION
from driftloop.serving._service import ServingService


class DeploymentRouter:
    def __init__(self, serving: ServingService) -> None:
        self._serving = serving

    def routing(self, endpoint: str) -> Routing:
        live = self._serving.find_deployment(endpoint)
        if live is None:
            return Routing(primary=None)
        canary = live.canary.model_version if live.canary else None
        return Routing(live.primary.model_version, canary, live.canary_weight)

    def start_canary(self, policy: LoopPolicy, version: int, weight: float) -> None:
        live = self._serving.get_deployment(policy.endpoint)
        if live.canary and live.canary.model_version == version and live.canary_weight == weight:
            return  # done before a restart
        uri = f"models:/{policy.model}/{version}"
        self._serving.update(policy.endpoint, canary=uri, canary_weight=weight)

    def promote(self, policy: LoopPolicy, version: int) -> None:
        # One transaction: the endpoint serves ``version`` exactly when ``champion`` names
        # it. Two left a scheduler killed between them with v2 serving and v1 champion.
        self._serving.promote_version(policy.endpoint, policy.model, version, alias=CHAMPION)

    def drop_canary(self, policy: LoopPolicy) -> None:
        live = self._serving.get_deployment(policy.endpoint)
        if live.canary is not None:
            self._serving.update(policy.endpoint, canary=None)
