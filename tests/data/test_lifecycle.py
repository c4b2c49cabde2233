"""Deleting and restoring datasets and versions: hidden, never renumbered, restored."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import driftloop as dl
from driftloop.testing import invoke_cli


def _frame(i: int) -> pd.DataFrame:
    return pd.DataFrame({"x": [i, i + 1], "y": [0.5, float(i)]})


def _kept(ws: dl.Workspace, view: str = "active_only") -> list[int]:
    return [v.version for v in ws.datasets.versions("flights", view)]


def test_a_deleted_version_no_longer_reads_and_the_latest_goes_back(
    workspace: dl.Workspace,
) -> None:
    for i in range(3):
        dl.log_dataset("flights", _frame(i))
    event = workspace.acting_as("ana").datasets.delete("flights@3")
    assert (event.kind, event.name, event.action, event.actor) == (
        "dataset_version",
        "flights@3",
        "delete",
        "ana",
    )
    assert _kept(workspace) == [1, 2]
    assert dl.get_dataset("flights").version.version == 2  # the newest version kept
    with pytest.raises(dl.NotFoundError, match=r"flights@3' is deleted by ana .*restore flights@3"):
        dl.get_dataset("flights@3")
    gone = workspace.datasets.versions("flights", "deleted_only")
    assert [(v.version, v.deleted_by) for v in gone] == [(3, "ana")]
    with pytest.raises(dl.ConflictError, match="this content is flights@3, which was not logged"):
        dl.log_dataset("flights", _frame(2))
    assert dl.log_dataset("flights", _frame(9)).version == 4  # 3 stays taken
    workspace.datasets.restore("flights@3")
    assert _kept(workspace) == [1, 2, 3, 4]
    assert dl.get_dataset("flights@3").to_pandas().equals(_frame(2))


def test_a_deleted_dataset_keeps_its_name_and_comes_back_with_its_versions(
    workspace: dl.Workspace,
) -> None:
    dl.log_dataset("flights", _frame(0))
    dl.log_dataset("flights", _frame(1))
    dl.log_dataset("planes", _frame(5))
    workspace.datasets.delete("flights@1")
    event = workspace.datasets.delete("flights")
    assert event.reason == "with 1 version(s)"
    assert [d["name"] for d in workspace.datasets.list_datasets()] == ["planes"]
    trash = workspace.datasets.list_datasets("deleted_only")
    assert [(d["name"], d["deleted_by"]) for d in trash] == [("flights", workspace.user)]
    with pytest.raises(
        dl.NotFoundError, match=r"dataset 'flights' is deleted .*data restore flights"
    ):
        dl.get_dataset("flights")
    with pytest.raises(dl.ConflictError, match="dataset 'flights' is deleted"):
        dl.log_dataset("flights", _frame(7))
    with pytest.raises(dl.ConflictError, match="restore it first with `driftloop data restore"):
        workspace.datasets.restore("flights@2")
    workspace.datasets.restore("flights")
    assert _kept(workspace) == [2]  # version 1 was deleted on its own before


def test_latest_is_refused_as_a_target_and_twice_is_said(workspace: dl.Workspace) -> None:
    dl.log_dataset("flights", _frame(0))
    with pytest.raises(dl.InvalidInputError, match=r"give NAME .* or NAME@VERSION"):
        workspace.datasets.delete("flights@latest")
    with pytest.raises(dl.ConflictError, match="is not deleted"):
        workspace.datasets.restore("flights@1")
    workspace.datasets.delete("flights@1")
    with pytest.raises(dl.ConflictError, match="already deleted"):
        workspace.datasets.delete("flights@1")
    with pytest.raises(dl.NotFoundError, match="every version of dataset 'flights' is deleted"):
        dl.get_dataset("flights")


def test_data_delete_and_restore_from_the_cli(sqlite_workspace: dl.Workspace) -> None:
    dl.log_dataset("flights", _frame(0))
    dl.log_dataset("flights", _frame(1))
    deleted = invoke_cli("data", "delete", "flights@2", "--json")
    assert deleted.exit_code == 0, deleted.stderr
    assert json.loads(deleted.stdout)[0]["name"] == "flights@2"
    kept = json.loads(invoke_cli("data", "versions", "flights", "--json").stdout)
    assert [v["version"] for v in kept] == [1]
    trash = json.loads(invoke_cli("data", "versions", "flights", "--deleted", "--json").stdout)
    assert [(v["version"], v["deleted_by"]) for v in trash] == [(2, sqlite_workspace.user)]
    missing = invoke_cli("data", "show", "flights@2")
    assert missing.exit_code == 1 and "driftloop data restore flights@2" in missing.stderr
    assert invoke_cli("data", "restore", "flights@2").exit_code == 0
    assert invoke_cli("data", "delete", "flights").exit_code == 0
    listed = json.loads(invoke_cli("data", "list", "--deleted", "--json").stdout)
    assert [d["name"] for d in listed] == ["flights"]
    restored = invoke_cli("data", "restore", "flights")
    assert "Restored dataset flights" in restored.stdout
