"""Deployments in the metadata store: versions, pinned routes, changes, rollback, lineage."""

from __future__ import annotations

import pytest
from tests.serving.conftest import log_churn_model

import driftloop as dl
from driftloop.errors import ConflictError, InvalidInputError, NotFoundError


@pytest.fixture
def three(workspace: dl.Workspace) -> dl.Workspace:
    for c in (1.0, 0.01, 100.0):
        log_churn_model(workspace, c, onnx=False)
    workspace.registry.set_alias("churn", "champion", 1)
    return workspace


def test_deploy_pins_the_version_an_alias_points_at(three: dl.Workspace) -> None:
    first = three.acting_as("ana").serving.deploy("churn", "churn@champion")
    three.registry.set_alias("churn", "champion", 2)
    live = three.serving.get_deployment("churn")
    assert (first.version, first.action, first.created_by) == (1, "deploy", "ana")
    assert (live.primary.model_version, live.primary.ref) == (1, "churn@champion")
    assert live.changes == "created: primary churn@1"


def test_changes_make_new_versions_and_history_says_what_changed(three: dl.Workspace) -> None:
    serving = three.serving
    serving.deploy("churn", "churn@1")
    serving.update("churn", canary="churn@2", canary_weight=0.1)
    serving.update("churn", canary_weight=0.5)
    promoted = serving.promote_canary("churn")
    assert (promoted.primary.model_version, promoted.canary) == (2, None)
    history = serving.history("churn")
    assert [d.version for d in history] == [1, 2, 3, 4]
    assert [d.action for d in history] == ["deploy", "deploy", "deploy", "promote"]
    assert history[1].changes == "canary none -> churn@2 (10%)"
    assert history[2].changes == "canary churn@2 (10%) -> churn@2 (50%)"
    assert "primary churn@1 -> churn@2" in history[3].changes


def test_promote_version_moves_the_alias_with_the_deployment_or_not_at_all(
    three: dl.Workspace,
) -> None:
    serving, registry = three.serving, three.registry
    serving.deploy("churn", "churn@1", canary="churn@2", canary_weight=0.1)
    with pytest.raises(InvalidInputError):  # the alias fails after the deployment row is added
        serving.promote_version("churn", "churn", 2, alias="Not An Alias!")
    assert [d.action for d in serving.history("churn")] == ["deploy"]  # rolled back together
    promoted = serving.promote_version("churn", "churn", 2, alias="champion")
    assert (promoted.action, promoted.primary.model_version, promoted.canary) == (
        "promote",
        2,
        None,
    )
    assert promoted.primary.ref == "churn@2"  # the canary's route, as it was deployed
    assert registry.get_model("churn").aliases["champion"] == 2
    events = len(registry.alias_history("churn", "champion"))
    again = serving.promote_version("churn", "churn", 2, alias="champion")
    assert again.version == promoted.version  # nothing left to do
    assert len(serving.history("churn")) == 2
    assert len(registry.alias_history("churn", "champion")) == events
    registry.set_alias("churn", "champion", 1)  # as a split promotion used to leave it
    assert serving.promote_version("churn", "churn", 2, alias="champion").version == 2
    assert registry.get_model("churn").aliases["champion"] == 2  # completed, no new deployment
    other = serving.promote_version("churn", "churn", 3, alias="champion")
    assert (other.primary.model_version, other.primary.ref) == (3, "models:/churn/3")
    assert registry.get_model("churn").aliases["champion"] == 3


def test_rollback_returns_to_the_previous_deployment_and_walks_back(three: dl.Workspace) -> None:
    serving = three.serving
    serving.deploy("churn", "churn@1")
    serving.deploy("churn", "churn@2", shadow="churn@3")
    serving.deploy("churn", "churn@3")
    back = serving.rollback("churn")
    assert (back.version, back.action, back.source_version) == (4, "rollback", 2)
    assert (back.primary.model_version, back.shadow and back.shadow.model_version) == (2, 3)
    assert back.changes.startswith("rolled back to 2:")
    further = serving.rollback("churn")
    assert (further.primary.model_version, further.source_version) == (1, 1)
    with pytest.raises(ConflictError, match="no deployment before version 1"):
        serving.rollback("churn")
    assert serving.rollback("churn", to_version=3).primary.model_version == 3


def test_bad_deployments_are_refused(three: dl.Workspace) -> None:
    serving = three.serving
    with pytest.raises(NotFoundError, match="no version 9"):
        serving.deploy("churn", "churn@9")
    with pytest.raises(InvalidInputError, match="canary_weight must be between 0 and 1"):
        serving.deploy("churn", "churn@1", canary="churn@2", canary_weight=1.5)
    with pytest.raises(InvalidInputError, match="without a canary"):
        serving.deploy("churn", "churn@1", canary_weight=0.5)
    with pytest.raises(InvalidInputError, match="endpoint name"):
        serving.deploy("no spaces", "churn@1")
    with pytest.raises(NotFoundError, match="no endpoint named 'ghost'"):
        serving.get_deployment("ghost")
    three.registry.archive("churn", 3)
    with pytest.raises(ConflictError, match="archived"):
        serving.deploy("churn", "churn@3")


def test_lineage_reaches_the_deployments_that_served_a_version(three: dl.Workspace) -> None:
    three.serving.deploy("churn", "churn@1")
    three.serving.deploy("churn", "churn@2", canary="churn@1", canary_weight=0.2)
    graph = three.registry.lineage("churn@1")
    deployments = graph.of_kind("deployment")
    assert [n.id for n in deployments] == ["deployment:churn@1", "deployment:churn@2"]
    assert deployments[1].attributes["routes"] == ["canary"]
    assert any(e.relation == "deployed_as" for e in graph.edges)
    assert three.serving.list_endpoints()[0].deployment.version == 2
