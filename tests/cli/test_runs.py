from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import driftloop as dl
from driftloop.cli import app

runner = CliRunner()


@pytest.fixture
def two_runs(sqlite_workspace: dl.Workspace) -> list[str]:
    ids = []
    for depth, auc in ((4, 0.80), (8, 0.86)):
        with dl.start_run(experiment="churn", name=f"rf-{depth}") as run:
            dl.log_params({"max_depth": depth, "model": "rf"})
            dl.log_metric("auc", auc)
        ids.append(run.id)
    return ids


def test_runs_list_json_has_params_and_metrics(two_runs: list[str]) -> None:
    result = runner.invoke(app, ["runs", "list", "--json", "--order-by", "metrics.auc desc"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["run_name"] for r in rows] == ["rf-8", "rf-4"]
    assert rows[0]["metrics.auc"] == 0.86 and rows[0]["params.max_depth"] == "8"


def test_runs_list_table_and_filter(two_runs: list[str]) -> None:
    result = runner.invoke(app, ["runs", "list", "--filter", "metrics.auc > 0.85"])
    assert result.exit_code == 0, result.output
    assert "rf-8" in result.output and "rf-4" not in result.output


def test_runs_show_by_prefix(two_runs: list[str]) -> None:
    result = runner.invoke(app, ["runs", "show", two_runs[0][:8], "--json"])
    data = json.loads(result.output)
    assert data["run_id"] == two_runs[0] and data["params"]["max_depth"] == "4"
    assert data["environment"]["python"]
    human = runner.invoke(app, ["runs", "show", two_runs[0]])
    assert "rf-4" in human.output and "max_depth" in human.output


def test_runs_compare_shows_differing_params_and_deltas(two_runs: list[str]) -> None:
    result = runner.invoke(app, ["runs", "compare", *two_runs, "--json"])
    data = json.loads(result.output)
    assert data["params"] == {"max_depth": ["4", "8"]}  # model is equal, so not shown
    assert data["metrics"]["auc"]["delta_vs_first"][1] == pytest.approx(0.06)
    human = runner.invoke(app, ["runs", "compare", *two_runs])
    assert "+0.06" in human.output


def test_runs_history(two_runs: list[str]) -> None:
    data = json.loads(runner.invoke(app, ["runs", "history", two_runs[1], "auc", "--json"]).output)
    assert [(m["step"], m["value"]) for m in data] == [(0, 0.86)]


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "driftloop", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_init_and_errors_print_a_message_not_a_traceback(tmp_path: Path) -> None:
    assert _cli(["init", "--json"], tmp_path).returncode == 0
    assert (tmp_path / "driftloop.toml").exists()
    result = _cli(["runs", "show", "nope"], tmp_path)
    assert result.returncode == 1
    assert "error: Not found: no run with id, id prefix or name 'nope'" in result.stderr
    assert "Traceback" not in result.stderr
    debug = _cli(["--debug", "runs", "show", "nope"], tmp_path)
    assert "Traceback" in debug.stderr
    bad = _cli(["runs", "list", "--filter", "metrics.x >"], tmp_path)
    assert bad.returncode == 1 and "bad run filter" in bad.stderr


def test_runs_history_shows_when_each_value_was_logged_not_epoch_milliseconds(
    two_runs: list[str],
) -> None:
    from datetime import UTC, datetime

    [value] = json.loads(
        runner.invoke(app, ["runs", "history", two_runs[1], "auc", "--json"]).output
    )
    shown = runner.invoke(app, ["runs", "history", two_runs[1], "auc"]).output
    logged = datetime.fromtimestamp(value["timestamp_ms"] / 1000, UTC)
    assert logged.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] in shown
    assert str(value["timestamp_ms"]) not in shown and "logged at (UTC)" in shown


def test_a_run_is_found_by_id_prefix_or_name_newest_first(two_runs: list[str]) -> None:
    with dl.start_run(experiment="churn", name="rf-8") as newer:
        dl.log_param("max_depth", 8)
    shown = runner.invoke(app, ["runs", "show", "rf-8", "--json"])
    assert json.loads(shown.output)["run_id"] == newer.id  # names repeat: the newest wins
    compared = runner.invoke(app, ["runs", "compare", "rf-4", two_runs[1][:8], "--json"])
    assert compared.exit_code == 0, compared.output
    assert [r["run_id"] for r in json.loads(compared.output)["runs"]] == two_runs
    missing = runner.invoke(app, ["runs", "show", "rf-99"])
    assert missing.exit_code == 1
