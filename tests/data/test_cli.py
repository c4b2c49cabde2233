"""The `driftloop data` commands on a real workspace, with --json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import driftloop as dl
from driftloop.cli import app

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_log_list_versions_show(
    sqlite_workspace: dl.Workspace, frame: pd.DataFrame, tmp_path: Path
) -> None:
    csv = tmp_path / "flights.csv"
    frame.to_csv(csv, index=False)
    logged = json.loads(_run("data", "log", "flights", str(csv), "--json"))
    assert (
        logged["name"] == "flights" and logged["version"] == 1 and logged["num_rows"] == len(frame)
    )
    assert "flights@1" in _run("data", "log", "flights", str(csv))  # same content, same version
    assert json.loads(_run("data", "list", "--json")) == [
        {"name": "flights", "description": "", "versions": 1, "latest": 1}
    ]
    assert [v["version"] for v in json.loads(_run("data", "versions", "flights", "--json"))] == [1]
    shown = json.loads(_run("data", "show", "flights@latest", "--json"))
    assert shown["schema"]["origin"] == "string" and shown["source"] == str(csv)
    assert "origin" in _run("data", "show", "flights@1") and "flights" in _run("data", "list")
    assert shown["validations"] == [] and shown["used_by_runs"] == []


def test_profile_with_html_and_diff(
    sqlite_workspace: dl.Workspace, frame: pd.DataFrame, tmp_path: Path
) -> None:
    dl.log_dataset("flights", frame)
    dl.log_dataset("flights", frame.assign(distance=frame["distance"] * 2))
    report = tmp_path / "report.html"
    profile = json.loads(_run("data", "profile", "flights@1", "--json", "--html", str(report)))
    assert profile["columns"]["distance"]["kind"] == "numeric" and "base64" in report.read_text()
    assert "400 rows, 5 columns" in _run("data", "profile", "flights@1")
    diff = json.loads(_run("data", "diff", "flights@1", "flights@2", "--json"))
    distance = next(c for c in diff["columns"] if c["column"] == "distance")
    assert distance["psi"] > 1 and diff["rows"] == [len(frame), len(frame)]
    assert "psi" in _run("data", "diff", "flights@1", "flights@2")


def test_suggest_then_validate_is_a_ci_gate(
    sqlite_workspace: dl.Workspace, frame: pd.DataFrame, tmp_path: Path
) -> None:
    dl.log_dataset("flights", frame)
    suite = tmp_path / "suite.yaml"
    assert "Wrote" in _run("data", "suggest-suite", "flights@1", "--out", str(suite))
    assert json.loads(_run("data", "suggest-suite", "flights@1", "--json"))["name"] == "flights"
    passed = json.loads(_run("data", "validate", "flights@1", "--suite", str(suite), "--json"))
    assert passed["success"] is True
    bad = frame.copy()
    bad.loc[:4, "origin"] = "ZZZ"
    dl.log_dataset("flights", bad)
    result = runner.invoke(app, ["data", "validate", "flights@2", "--suite", str(suite)])
    assert result.exit_code == 1
    assert "FAILED: in_set(column='origin'" in result.output and "5 failing rows" in result.output
    assert "'origin': 'ZZZ'" in result.output
    as_json = runner.invoke(app, ["data", "validate", "flights@2", "--suite", str(suite), "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.output)["success"] is False
    with dl.start_run(experiment="e") as run:
        dl.log_input("flights@2")
    shown = json.loads(_run("data", "show", "flights@2", "--json"))
    assert [v["success"] for v in shown["validations"]] == [False, False]
    assert shown["validations"][0]["failed"] >= 1 and shown["used_by_runs"] == [run.id]
    assert "FAILED" in _run("data", "show", "flights@2")


def test_show_takes_the_one_grammar(sqlite_workspace: dl.Workspace, frame: pd.DataFrame) -> None:
    dl.log_dataset("flights", frame)
    dl.log_dataset("flights", frame.head(5))
    for ref, version in (("flights@1", 1), ("flights", 2), ("flights@latest", 2)):
        assert json.loads(_run("data", "show", ref, "--json"))["version"] == version
    assert "flights@2" in _run("data", "show", "flights")
    bad = runner.invoke(app, ["data", "show", "flights@0"])
    assert bad.exit_code != 0 and "NAME@VERSION" in str(bad.exception)
