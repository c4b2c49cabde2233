"""Deleting and restoring runs and experiments: hidden, kept, restored as they went."""

from __future__ import annotations

import json

import pytest

import driftloop as dl
from driftloop.testing import invoke_cli


def _run(experiment: str, name: str, **kwargs: object) -> str:
    with dl.start_run(experiment=experiment, name=name, **kwargs) as run:  # type: ignore[arg-type]
        dl.log_metric("auc", 0.9)
    return run.id


def _names(view: str = "active_only", experiment: str | None = "churn") -> list[str]:
    return sorted(dl.search_runs(experiment, view_type=view)["run_name"])


def test_a_deleted_run_is_hidden_kept_and_restored_with_who_and_when(
    workspace: dl.Workspace,
) -> None:
    keep, gone = _run("churn", "keep"), _run("churn", "gone")
    event = workspace.acting_as("ana").tracking.delete_run(gone)
    assert (event.kind, event.name, event.action, event.actor) == ("run", gone, "delete", "ana")
    assert _names() == ["keep"]
    deleted = dl.search_runs("churn", view_type="deleted_only")
    assert list(deleted["run_name"]) == ["gone"] and list(deleted["deleted_by"]) == ["ana"]
    assert _names("all") == ["gone", "keep"]
    run = dl.get_run(gone)  # still readable, as in MLflow, with who deleted it
    assert run.deleted_by == "ana" and run.deleted_at == event.at and run.metrics == {"auc": 0.9}
    restored = workspace.acting_as("bo").tracking.restore_run(gone)
    assert (restored.action, restored.actor) == ("restore", "bo")
    assert _names() == ["gone", "keep"] and dl.get_run(gone).deleted_at is None
    assert dl.get_run(keep).deleted_at is None
    with workspace.store.read() as session:
        from driftloop.store._lifecycle import lifecycle_events

        log = lifecycle_events(session, "run", gone)
    assert [(e.action, e.actor) for e in log] == [("delete", "ana"), ("restore", "bo")]


def test_nested_runs_go_with_their_parent_and_only_they_come_back(
    workspace: dl.Workspace,
) -> None:
    with dl.start_run(experiment="churn", name="parent") as parent:
        with dl.start_run(name="child-a", nested=True):
            pass
        with dl.start_run(name="child-b", nested=True) as child_b:
            pass
    dl.delete_run(child_b.id)  # deleted on its own first
    dl.delete_run(parent.id)
    assert _names() == []
    dl.restore_run(parent.id)
    assert _names() == ["child-a", "parent"]  # child-b was not deleted with the parent


def test_deleting_an_experiment_hides_its_runs_and_reserves_its_name(
    workspace: dl.Workspace,
) -> None:
    alone = _run("churn", "deleted-alone")
    dl.delete_run(alone)
    _run("churn", "a")
    _run("other", "b")
    event = dl.delete_experiment("churn")
    assert event.reason == "with 1 run(s)"
    assert [e.name for e in workspace.tracking.list_experiments()] == ["other"]
    assert [e.name for e in workspace.tracking.list_experiments("deleted_only")] == ["churn"]
    assert _names(experiment=None) == ["b"]
    refused = r"experiment 'churn'.*deleted by .*experiments restore"
    with pytest.raises(dl.ConflictError, match=refused):
        dl.start_run(experiment="churn")
    with pytest.raises(dl.ConflictError, match="restore it with `driftloop experiments restore"):
        dl.restore_run(alone)
    dl.restore_experiment("churn")
    assert _names() == ["a"]  # the run deleted on its own before stays deleted
    with dl.start_run(experiment="churn", name="again"):
        pass


def test_a_second_delete_and_a_restore_of_a_live_run_say_so(workspace: dl.Workspace) -> None:
    run_id = _run("churn", "x")
    with pytest.raises(dl.ConflictError, match="not deleted; there is nothing to restore"):
        dl.restore_run(run_id)
    dl.delete_run(run_id)
    with pytest.raises(dl.ConflictError, match=f"run {run_id} is already deleted"):
        dl.delete_run(run_id)
    with pytest.raises(dl.ConflictError, match="cannot resume run"):
        dl.start_run(run_id=run_id)
    with pytest.raises(dl.InvalidInputError, match="view_type 'trash' is not known"):
        dl.search_runs("churn", view_type="trash")


def test_runs_and_experiments_from_the_cli(sqlite_workspace: dl.Workspace) -> None:
    first, second = _run("churn", "first"), _run("churn", "second")
    deleted = invoke_cli("runs", "delete", first[:8], second, "--json")
    assert deleted.exit_code == 0, deleted.stderr
    events = json.loads(deleted.stdout)
    assert [(e["name"], e["action"]) for e in events] == [(first, "delete"), (second, "delete")]
    listed = invoke_cli("runs", "list", "--deleted")
    assert "first" in listed.stdout and "deleted" in listed.stdout.splitlines()[1]
    assert sqlite_workspace.user in listed.stdout  # who deleted them
    assert "first" not in invoke_cli("runs", "list").stdout
    restored = invoke_cli("runs", "restore", first)
    assert restored.exit_code == 0 and f"undo with `driftloop runs delete {first}`" in (
        restored.stdout.replace("\n", "")
    )
    shown = invoke_cli("runs", "show", second)
    assert "restore with `driftloop runs restore" in shown.stdout
    gone = invoke_cli("experiments", "delete", "churn")
    assert gone.exit_code == 0 and "Deleted experiment churn" in gone.stdout
    trash = json.loads(invoke_cli("experiments", "list", "--deleted", "--json").stdout)
    assert [e["name"] for e in trash] == ["churn"] and trash[0]["deleted_by"]
    missing = invoke_cli("experiments", "delete", "nope")
    assert missing.exit_code == 1 and "no experiment named 'nope'" in missing.stderr
    assert invoke_cli("experiments", "restore", "churn").exit_code == 0
    assert [e["name"] for e in json.loads(invoke_cli("experiments", "list", "--json").stdout)] == [
        "churn"
    ]
