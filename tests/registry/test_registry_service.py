"""Registered models, numbered versions, status, and aliases with a full history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import driftloop as dl
from driftloop.registry import LoggedModel, ModelStatus


@pytest.fixture
def log(
    churn: tuple[pd.DataFrame, pd.Series], trainers: dict[str, Any]
) -> Callable[..., LoggedModel]:
    """Log (and by default register as 'churn') a freshly trained pipeline in a new run."""
    frame, label = churn

    def log_one(name: str | None = "churn") -> LoggedModel:
        with dl.start_run(experiment="churn") as run:
            run.log_param("C", 1.0)
            run.log_metric("auc", 0.8)
            return dl.log_model(
                trainers["sklearn"](frame, label),
                name=name,
                input_example=frame.head(3),
                register=name is not None,
            )

    return log_one


def test_versions_are_numbered_from_one_and_link_to_their_run(
    workspace: dl.Workspace, log: Callable[..., LoggedModel]
) -> None:
    first, second = log(), log()
    assert [first.version.version, second.version.version] == [1, 2]  # type: ignore[union-attr]
    versions = workspace.registry.list_versions("churn")
    assert [v.run_id for v in versions] == [first.run_id, second.run_id]
    assert all(v.model_digest.startswith("blake3:") and v.flavor == "sklearn" for v in versions)
    model = workspace.registry.get_model("churn")
    assert model.latest_version == 2 and model.created_by == workspace.user


def test_register_from_a_run_uri(workspace: dl.Workspace, log: Callable[..., LoggedModel]) -> None:
    logged = log(name=None)
    version = dl.register_model(f"runs:/{logged.run_id}/model", "churn", description="first cut")
    assert (version.version, version.status, version.description) == (
        1,
        ModelStatus.READY,
        "first cut",
    )
    assert version.model_digest == logged.model_digest


def test_register_from_a_run_without_a_model_says_so(workspace: dl.Workspace) -> None:
    with dl.start_run() as run:
        pass
    with pytest.raises(dl.NotFoundError, match="has no model at 'model'"):
        dl.register_model(f"runs:/{run.id}/model", "churn")


def test_aliases_are_set_moved_and_removed_with_history(
    workspace: dl.Workspace, log: Callable[..., LoggedModel]
) -> None:
    log(), log()
    dl.set_model_alias("churn", "champion", 1)
    dl.set_model_alias("churn", "challenger", 2)
    assert dl.get_model_version("models:/churn@champion").version == 1
    moved = dl.set_model_alias("churn", "champion", 2)
    assert (moved.action, moved.from_version, moved.to_version) == ("move", 1, 2)
    assert dl.get_model_version("models:/churn@champion").aliases == ("challenger", "champion")
    removed = dl.delete_model_alias("churn", "challenger")
    assert (removed.action, removed.from_version) == ("remove", 2)
    history = workspace.registry.alias_history("churn")
    assert [(e.alias, e.action, e.from_version, e.to_version) for e in history] == [
        ("champion", "set", None, 1),
        ("challenger", "set", None, 2),
        ("champion", "move", 1, 2),
        ("challenger", "remove", 2, None),
    ]
    assert all(e.user == workspace.user and e.at.tzinfo is not None for e in history)
    assert workspace.registry.get_model("churn").aliases == {"champion": 2}


def test_unknown_alias_names_the_existing_ones(
    workspace: dl.Workspace, log: Callable[..., LoggedModel]
) -> None:
    log()
    dl.set_model_alias("churn", "champion", 1)
    with pytest.raises(dl.NotFoundError, match=r"no alias 'staging' \(aliases: champion\)"):
        dl.load_model("models:/churn@staging")


def test_archiving_is_refused_while_an_alias_points_at_the_version(
    workspace: dl.Workspace, log: Callable[..., LoggedModel]
) -> None:
    log(), log()
    dl.set_model_alias("churn", "champion", 2)
    with pytest.raises(dl.ConflictError, match="holds alias 'champion'"):
        workspace.registry.archive("churn", 2)
    dl.delete_model_alias("churn", "champion")
    assert workspace.registry.archive("churn", 2).status == ModelStatus.ARCHIVED
    assert dl.get_model_version("models:/churn/latest").version == 1
    with pytest.raises(dl.ConflictError, match="only ready versions"):
        dl.set_model_alias("churn", "champion", 2)


def test_missing_version_says_which_is_latest(
    workspace: dl.Workspace, log: Callable[..., LoggedModel]
) -> None:
    log()
    with pytest.raises(dl.NotFoundError, match=r"no version 7 of model 'churn' \(latest is 1\)"):
        dl.load_model("models:/churn/7")
    with pytest.raises(dl.NotFoundError, match="no registered model named 'nope'"):
        dl.load_model("models:/nope/1")


def test_models_have_descriptions_and_tags(workspace: dl.Workspace) -> None:
    workspace.registry.create_model("churn", description="who leaves", tags={"team": "growth"})
    updated = workspace.registry.update_model(
        "churn", description="who leaves next month", tags={"tier": 1}
    )
    assert updated.description == "who leaves next month"
    assert updated.tags == {"team": "growth", "tier": "1"}
    with pytest.raises(dl.AlreadyExistsError):
        workspace.registry.create_model("churn")
    assert [m.name for m in workspace.registry.list_models()] == ["churn"]


def test_concurrent_registrations_get_distinct_numbers(
    workspace: dl.Workspace, log: Callable[..., LoggedModel]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    logged = log(name=None)
    with ThreadPoolExecutor(4) as pool:
        versions = list(
            pool.map(lambda _: workspace.registry.register(logged, "churn").version, range(8))
        )
    assert sorted(versions) == list(range(1, 9))


def test_concurrent_alias_moves_each_leave_one_history_event(
    workspace: dl.Workspace, log: Callable[..., LoggedModel]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    log(), log()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: dl.set_model_alias("churn", "champion", 1 + i % 2), range(8)))
    history = workspace.registry.alias_history("churn", "champion")
    assert len(history) == 8 and history[0].action == "set"
    assert all(e.action == "move" for e in history[1:])
    assert [e.from_version for e in history[1:]] == [e.to_version for e in history[:-1]]
    assert dl.get_model_version("models:/churn@champion").version == history[-1].to_version
