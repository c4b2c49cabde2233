"""The loop's router over real deployments and the real registry: a promotion moves the
``champion`` alias with the deployment."""

from __future__ import annotations

import pytest
from tests.serving.conftest import log_churn_model

import driftloop as dl
from driftloop.automation import parse_policy
from driftloop.automation._serving import DeploymentRouter

POLICY = {
    "endpoint": "flights",
    "model": "flight-delays",
    "pipeline": "demo:train",
    "triggers": [{"alert": "delay-drift"}],
}


@pytest.fixture
def served(workspace: dl.Workspace) -> dl.Workspace:
    for c in (1.0, 0.01):
        log_churn_model(workspace, c, onnx=False, name="flight-delays")
    workspace.registry.set_alias("flight-delays", "champion", 1)
    workspace.serving.deploy("flights", "flight-delays@champion")
    return workspace


def test_promotion_makes_the_canary_primary_and_champion_in_one_deployment(
    served: dl.Workspace,
) -> None:
    router, policy = DeploymentRouter(served.serving), parse_policy(POLICY)
    router.start_canary(policy, 2, 0.2)
    router.promote(policy, 2)
    router.promote(policy, 2)  # a restarted scheduler repeats its step: nothing more happens
    live = served.serving.get_deployment("flights")
    assert (live.version, live.action, live.primary.model_version, live.canary) == (
        3,
        "promote",
        2,
        None,
    )
    assert served.registry.get_model("flight-delays").aliases["champion"] == 2
    moves = served.registry.alias_history("flight-delays", "champion")
    assert [(e.from_version, e.to_version) for e in moves] == [(None, 1), (1, 2)]
