"""The command tree: plural group names, actions under their noun, earlier spellings kept
hidden, help and ``--json`` everywhere, one output-file flag, and no workspace made by a read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

import driftloop as dl
from driftloop.cli import app
from driftloop.testing import invoke_cli

ALIASES = {  # earlier spelling -> where it lives now
    ("pipeline",): ("pipelines",),
    ("monitor",): ("monitors",),
    ("deploy",): ("endpoints", "deploy"),
    ("rollback",): ("endpoints", "rollback"),
    ("approve",): ("loop", "approve"),
    ("reject",): ("loop", "reject"),
}


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(command, TyperGroup):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield path, command


ROOT = typer.main.get_command(app)
COMMANDS = dict(_commands(ROOT))


def test_the_walk_sees_the_commands() -> None:
    assert ("runs", "list") in COMMANDS and ("endpoints", "deploy") in COMMANDS
    assert len(COMMANDS) > 60


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_has_help_and_json_and_every_visible_parameter_help(
    path: tuple[str, ...],
) -> None:
    command = COMMANDS[path]
    assert (command.help or "").strip(), f"`driftloop {' '.join(path)}` has no help"
    if path[-1] != "execute":  # the hidden worker entry of `pipelines run --detach`
        assert any("--json" in getattr(p, "opts", []) for p in command.params)
    for param in command.params:
        if isinstance(param, TyperOption | TyperArgument) and not getattr(param, "hidden", False):
            assert param.help, f"`driftloop {' '.join(path)}`: {param.name} has no help"


def test_groups_are_plural_and_earlier_spellings_are_hidden_aliases() -> None:
    shown = {name for name, c in ROOT.commands.items() if not getattr(c, "hidden", False)}
    assert {"pipelines", "monitors", "endpoints", "loop", "runs", "models", "data"} <= shown
    assert not shown & {"pipeline", "monitor", "deploy", "rollback", "approve", "reject"}
    for old, new in ALIASES.items():
        hidden = ROOT.commands[old[0]]
        assert hidden.hidden, old
        if len(new) == 2:
            assert hidden.help == COMMANDS[new].help, (old, new)
    help_text = invoke_cli("--help").stdout
    assert "pipelines" in help_text and "monitor " not in help_text


def test_the_old_spellings_still_work(sqlite_workspace: dl.Workspace) -> None:
    for args in (["pipeline", "list", "--json"], ["monitor", "status", "--json"]):
        result = invoke_cli(*args)
        assert result.exit_code == 0, (args, result.stderr)
        assert json.loads(result.stdout) == []
    refused = invoke_cli("deploy", "nope", "nope@1")
    assert refused.exit_code == 1 and "'nope'" in refused.stderr  # reached the command


def test_one_output_flag_and_the_earlier_ones_still_accepted(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    dl.log_dataset("d", pd.DataFrame({"x": [1.0, 2.0, 3.0], "k": ["a", "b", "a"]}))
    for flag in ("-o", "--output", "--out"):
        path = tmp_path / f"suite{flag}.yaml"
        result = invoke_cli("data", "suggest-suite", "d@1", flag, str(path))
        assert result.exit_code == 0 and path.read_text().startswith("name:"), result.stderr
    for flag in ("-o", "--html"):
        path = tmp_path / f"profile{flag}.html"
        assert invoke_cli("data", "profile", "d@1", flag, str(path)).exit_code == 0
        assert "<svg" in path.read_text() or "<img" in path.read_text()
    both = invoke_cli("data", "profile", "d@1", "-o", "a.html", "--html", "b.html")
    assert both.exit_code == 1 and "give --output only" in both.stderr
    hidden = invoke_cli("data", "profile", "--help").stdout
    assert "--output" in hidden and "--html" not in hidden


@pytest.mark.parametrize(
    "args",
    [
        ("runs", "list"),
        ("data", "list", "--json"),
        ("models", "show", "churn"),
        ("monitors", "status"),
        ("endpoints", "list"),
        ("loop", "pause", "churn"),
        ("runs", "delete", "first"),
        ("experiments", "list", "--deleted"),
        ("monitors", "list"),
        ("scheduler", "triggers"),
        ("pipelines", "cancel", "training"),
        ("gc", "--dry-run"),
    ],
    ids=" ".join,
)
def test_a_command_outside_a_workspace_says_so_and_creates_none(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = invoke_cli(*args)  # in tmp_path, which holds no workspace
    assert result.exit_code == 1, result.stdout
    assert result.stderr.strip() == (
        f"error: Not found: no driftloop workspace in {tmp_path} or its parents; run "
        "`driftloop init` (or cd into a workspace, or set DRIFTLOOP_HOME)"
    )
    assert list(tmp_path.iterdir()) == []


def test_data_log_outside_a_workspace_makes_one_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a,b\n1,2\n")
    result = invoke_cli("data", "log", "d", "d.csv", "--json")
    assert result.exit_code == 0, result.stderr
    assert "no workspace found; created one in" in result.stderr
    assert (tmp_path / "driftloop.toml").is_file() and json.loads(result.stdout)["version"] == 1
