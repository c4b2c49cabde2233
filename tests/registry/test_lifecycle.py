"""Deleting and restoring registered models and versions, and what refuses it."""

from __future__ import annotations

import json

import pytest
from tests.serving.conftest import log_churn_model

import driftloop as dl
from driftloop.testing import invoke_cli


def _versions(ws: dl.Workspace, view: str = "active_only") -> list[int]:
    return [v.version for v in ws.registry.list_versions("churn", view)]


def test_a_deleted_version_is_hidden_its_number_kept_and_it_comes_back(
    workspace: dl.Workspace,
) -> None:
    for _ in range(3):
        log_churn_model(workspace, onnx=False)
    event = workspace.acting_as("ana").registry.delete_version("churn", 3)
    assert (event.kind, event.name, event.action, event.actor) == (
        "model_version",
        "churn@3",
        "delete",
        "ana",
    )
    assert _versions(workspace) == [1, 2]
    assert _versions(workspace, "deleted_only") == [3]
    assert workspace.registry.resolve("churn").version == 2  # the latest is the latest kept
    assert workspace.registry.get_model("churn").latest_version == 2
    deleted = r"churn@3 is deleted by ana .*models restore churn@3"
    with pytest.raises(dl.NotFoundError, match=deleted):
        dl.load_model("models:/churn/3")
    assert log_churn_model(workspace, onnx=False).version == 4  # 3 is never given again
    workspace.registry.restore_version("churn", 3)
    assert _versions(workspace) == [1, 2, 3, 4]
    assert dl.get_model_version("churn@3").deleted_at is None


def test_an_alias_or_a_live_deployment_refuses_the_delete_naming_it(
    workspace: dl.Workspace,
) -> None:
    log_churn_model(workspace, onnx=False)
    log_churn_model(workspace, onnx=False)
    workspace.registry.set_alias("churn", "champion", 1)
    workspace.serving.deploy("flights", "churn@1", canary="churn@2", canary_weight=0.1)
    with pytest.raises(dl.ConflictError) as refused:
        workspace.registry.delete_version("churn", 1)
    message = str(refused.value)
    assert "alias 'champion' points at version 1" in message
    assert "driftloop models unalias churn champion" in message
    assert "endpoint 'flights' serves churn@1 as its primary (deployment 1" in message
    with pytest.raises(dl.ConflictError, match="endpoint 'flights' serves churn@2 as its canary"):
        workspace.registry.delete_model("churn")
    assert _versions(workspace) == [1, 2]  # nothing was deleted
    workspace.serving.deploy("flights", "churn@2")
    workspace.registry.remove_alias("churn", "champion")
    workspace.registry.delete_version("churn", 1)
    with pytest.raises(dl.ConflictError, match="endpoint 'flights' serves churn@2"):
        workspace.registry.delete_version("churn", 2)
    workspace.serving.delete_endpoint("flights")  # a deleted endpoint serves nothing
    workspace.registry.delete_version("churn", 2)
    with pytest.raises(dl.ConflictError, match=r"churn@2, which cannot be served .*is deleted"):
        workspace.serving.restore_endpoint("flights")


def test_deleting_a_model_takes_its_versions_and_reserves_the_name(
    workspace: dl.Workspace,
) -> None:
    for _ in range(3):
        log_churn_model(workspace, onnx=False)
    workspace.registry.delete_version("churn", 2)
    workspace.registry.delete_model("churn")
    assert [m.name for m in workspace.registry.list_models()] == []
    gone = workspace.registry.list_models("deleted_only")
    assert [m.name for m in gone] == ["churn"] and gone[0].deleted_by == workspace.user
    with pytest.raises(dl.ConflictError, match=r"model 'churn' is deleted .*models restore churn"):
        log_churn_model(workspace, onnx=False)
    with pytest.raises(dl.ConflictError, match="model 'churn' is deleted"):
        workspace.registry.create_model("churn")
    with pytest.raises(dl.ConflictError, match="restore the model first"):
        workspace.registry.restore_version("churn", 1)
    workspace.registry.restore_model("churn")
    assert _versions(workspace) == [1, 3]  # version 2 was deleted on its own before


def test_a_run_behind_a_registered_version_cannot_be_deleted(workspace: dl.Workspace) -> None:
    version = log_churn_model(workspace, onnx=False)
    assert version.run_id is not None
    with pytest.raises(dl.ConflictError, match=r"model version churn@1 was registered from run"):
        dl.delete_run(version.run_id)
    with pytest.raises(dl.ConflictError, match="driftloop models delete churn@1"):
        dl.delete_experiment("churn")
    workspace.registry.delete_version("churn", 1)
    dl.delete_run(version.run_id)


def test_models_delete_and_restore_from_the_cli(sqlite_workspace: dl.Workspace) -> None:
    log_churn_model(sqlite_workspace, onnx=False)
    log_churn_model(sqlite_workspace, onnx=False)
    sqlite_workspace.registry.set_alias("churn", "champion", 2)
    refused = invoke_cli("models", "delete", "churn@2")
    assert refused.exit_code == 1 and "alias 'champion' points at version 2" in refused.stderr
    wrong = invoke_cli("models", "delete", "churn@champion")
    assert wrong.exit_code == 1 and "give NAME (the model and every version)" in wrong.stderr
    deleted = invoke_cli("models", "delete", "churn@1", "--json")
    assert deleted.exit_code == 0, deleted.stderr
    assert json.loads(deleted.stdout)[0]["name"] == "churn@1"
    listed = json.loads(invoke_cli("models", "versions", "churn", "--deleted", "--json").stdout)
    assert [(v["version"], v["deleted_by"]) for v in listed] == [(1, sqlite_workspace.user)]
    kept = json.loads(invoke_cli("models", "versions", "churn", "--json").stdout)
    assert [v["version"] for v in kept] == [2]
    restored = invoke_cli("models", "restore", "churn@1")
    assert restored.exit_code == 0 and "Restored model version churn@1" in restored.stdout
