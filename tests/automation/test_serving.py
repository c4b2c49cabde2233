"""The loop's router over real deployments and the real registry: a promotion moves the
``champion`` alias with the deployment, and one found done is completed, alias included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from tests.serving.conftest import log_churn_model

import driftloop as dl
from driftloop.automation import EpisodeState, ModelEvidence, parse_policy
from driftloop.automation._service import LoopService
from driftloop.automation._serving import DeploymentRouter
from driftloop.testing import FakeLoopWorld

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


def test_a_canary_a_person_promoted_is_recorded_and_the_champion_moved(
    served: dl.Workspace,
) -> None:
    world = FakeLoopWorld(
        evidence={1: ModelEvidence({"recent": 0.70}), 2: ModelEvidence({"recent": 0.76})}
    )
    parts = replace(world.parts(), router=DeploymentRouter(served.serving))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    loop = LoopService(served.store, parts, lambda: now, user="ana")
    loop.set_policy(parse_policy(POLICY))
    loop.on_trigger("flights", {"kind": "alert", "source": "delay-drift"})
    assert loop.tick()[0].state is EpisodeState.CANARY
    served.serving.promote_canary("flights")  # `driftloop endpoints promote flights`
    episode = loop.tick()[0]
    assert episode.state is EpisodeState.PROMOTED
    assert loop.history("flights")[-1].summary == "promotion found done"
    assert served.registry.get_model("flight-delays").aliases["champion"] == 2
