"""`driftloop models ...` on a real workspace, for people and with --json."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

import driftloop as dl
from driftloop.cli import app
from driftloop.testing import invoke_cli


@pytest.fixture
def registered(
    workspace: dl.Workspace, churn: tuple[pd.DataFrame, pd.Series], trainers: dict[str, Any]
) -> dl.Workspace:
    frame, label = churn
    for _ in range(2):
        with dl.start_run(experiment="churn") as run:
            run.log_param("C", 1.0)
            dl.log_model(
                trainers["sklearn"](frame, label),
                name="churn",
                input_example=frame.head(3),
                register=True,
            )
    return workspace


def _json(*args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_list_versions_show(registered: dl.Workspace) -> None:
    assert [m["name"] for m in _json("models", "list")] == ["churn"]
    assert [v["version"] for v in _json("models", "versions", "churn")] == [1, 2]
    shown = _json("models", "show", "churn/2")
    assert shown["params"] == {"C": "1.0"} and shown["datasets"] == [] and "code_commit" in shown
    assert shown["status"] == "ready" and shown["signature"]["inputs"][0]["name"] == "age"
    text = CliRunner().invoke(app, ["models", "versions", "churn"])
    assert text.exit_code == 0 and "ready" in text.output


def test_alias_unalias_history_archive(registered: dl.Workspace) -> None:
    assert _json("models", "alias", "churn", "1", "champion")["action"] == "set"
    moved = _json("models", "alias", "churn", "2", "champion")
    assert (moved["action"], moved["from_version"], moved["to_version"]) == ("move", 1, 2)
    assert _json("models", "show", "churn@champion")["version"] == 2
    history = _json("models", "history", "churn", "champion")
    assert [e["action"] for e in history] == ["set", "move"]
    refused = invoke_cli("models", "archive", "churn/2")
    assert refused.exit_code != 0 and "holds alias 'champion'" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    assert _json("models", "show", "churn/2")["status"] == "ready"  # refused: nothing changed
    assert _json("models", "unalias", "churn", "champion")["action"] == "remove"
    assert _json("models", "archive", "churn/2")["status"] == "archived"


def test_card_and_lineage(registered: dl.Workspace) -> None:
    card = CliRunner().invoke(app, ["models", "card", "churn/1"])
    assert card.exit_code == 0 and card.output.startswith("# churn version 1")
    assert _json("models", "card", "churn/1")["markdown"].startswith("# churn version 1")
    tree = CliRunner().invoke(app, ["models", "lineage", "churn/1"])
    assert tree.exit_code == 0 and "produced_by: run" in tree.output and "C = 1.0" in tree.output
    graph = _json("models", "lineage", "churn/1")
    assert {n["kind"] for n in graph["nodes"]} >= {"model_version", "run", "params"}
    assert all({"source", "target", "relation"} == set(e) for e in graph["edges"])


def test_every_command_takes_the_one_grammar(registered: dl.Workspace) -> None:
    assert _json("models", "alias", "churn", "1", "champion")["action"] == "set"
    shown = _json("models", "show", "churn@2")
    assert (shown["version"], shown["ref"], shown["uri"]) == (2, "churn@2", "models:/churn/2")
    assert _json("models", "show", "churn")["version"] == 2
    assert _json("models", "show", "churn@latest")["version"] == 2
    assert _json("models", "show", "models:/churn@champion")["version"] == 1
    text = CliRunner().invoke(app, ["models", "show", "churn@2"])
    assert text.exit_code == 0 and text.output.startswith("churn@2 ")
    card = _json("models", "card", "churn@champion")
    assert card["ref"] == "churn@champion" and card["markdown"].startswith("# churn version 1")
    assert _json("models", "card", "churn/1")["ref"] == "churn@1"  # old form, printed canonically
    graph = _json("models", "lineage", "churn@champion")
    assert {n["kind"] for n in graph["nodes"]} >= {"model_version", "run"}
    archived = CliRunner().invoke(app, ["models", "archive", "churn@2"])
    assert archived.exit_code == 0 and "archived churn@2" in archived.output
    no_version = CliRunner().invoke(app, ["models", "archive", "churn@champion"])
    assert no_version.exit_code != 0 and "use NAME@VERSION" in str(no_version.exception)
