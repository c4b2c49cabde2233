"""Lineage from a version back to run, code commit, params, metrics and datasets; the card."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import driftloop as dl
from driftloop.registry import LineageNode, ModelVersion
from driftloop.registry._lineage import lineage_json, lineage_tree


def _git_repo(path: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=path, check=True, capture_output=True, text=True
        ).stdout

    git("init", "-q")
    (path / "train.py").write_text("print('train')\n")
    git("add", "train.py")
    git("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "-m", "train")
    return git("rev-parse", "HEAD").strip()


def test_lineage_reaches_run_code_params_metrics_and_datasets(
    workspace: dl.Workspace,
    churn: tuple[pd.DataFrame, pd.Series],
    trainers: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    commit = _git_repo(repo)
    monkeypatch.chdir(repo)
    frame, label = churn
    with dl.start_run(experiment="churn") as run:
        dataset = dl.log_dataset("customers", frame.assign(label=label))
        run.log_input("dataset", "flights@1")
        run.log_params({"C": 1.0})
        run.log_metric("auc", 0.81)
        dl.log_model(
            trainers["sklearn"](frame, label),
            name="churn",
            input_example=frame.head(3),
            register=True,
        )
    graph = dl.lineage("models:/churn/1")
    kinds = {n.kind for n in graph.nodes}
    assert {"model_version", "run", "code", "params", "metrics", "dataset"} <= kinds
    assert graph.of_kind("code")[0].attributes["commit"] == commit
    assert {n.attributes["ref"] for n in graph.of_kind("dataset")} == {dataset.ref, "flights@1"}
    assert graph.of_kind("params")[0].attributes == {"C": "1.0"}
    assert graph.of_kind("run")[0].attributes["run_id"] == run.id
    tree = "\n".join(lineage_tree(graph))
    assert f"read: dataset {dataset.ref}" in tree and f"ran_code: commit {commit[:12]}" in tree
    as_json = lineage_json(graph)
    assert {"source": graph.root, "target": f"run:{run.id}", "relation": "produced_by"} in as_json[
        "edges"
    ]
    card = dl.model_card("models:/churn/1")
    assert f"commit `{commit}`" in card and f"`{dataset.ref}`" in card and "| auc | 0.81 |" in card
    assert "| age | float64 | no |" in card


def test_downstream_providers_extend_the_graph_forward(
    workspace: dl.Workspace, churn: tuple[pd.DataFrame, pd.Series], trainers: dict[str, Any]
) -> None:
    frame, label = churn
    with dl.start_run():
        dl.log_model(trainers["sklearn"](frame, label), name="churn", register=True)

    def deployments(version: ModelVersion) -> list[tuple[LineageNode, str]]:
        return [
            (
                LineageNode("deployment:web", "deployment", f"endpoint web serves {version.ref}"),
                "deployed_as",
            )
        ]

    workspace.resources.downstream.append(deployments)
    graph = dl.lineage("churn@1")
    assert graph.of_kind("deployment")[0].label == "endpoint web serves churn@1"
    assert graph.children(graph.root)[-1][0].relation == "deployed_as"
