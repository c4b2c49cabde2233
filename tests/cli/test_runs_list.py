"""`driftloop runs list` reads in an 80-column terminal: compact, one line per run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import driftloop as dl

FEATURES = ",".join(f"weather:feature_{i}" for i in range(60))  # like the demo's param


@pytest.fixture
def runs(sqlite_workspace: dl.Workspace) -> list[str]:
    ids = []
    for depth, auc in ((4, 0.80), (8, 0.8612345)):
        with dl.start_run(experiment="flights", name=f"gradient-boosting-depth-{depth}") as run:
            dl.log_params({"features": FEATURES, "model": "gbm", "max_depth": depth})
            dl.log_params({f"p{i}": i for i in range(10)})
            for i, name in enumerate(("accuracy", "auc", "f1", "log_loss", "precision")):
                dl.log_metric(name, auc if name == "auc" else 0.1 * (i + 1))
        ids.append(run.id)
    return ids


def _list(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "driftloop", "runs", "list", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _fits(output: str) -> list[str]:
    lines = output.splitlines()
    assert lines and all(len(line) <= 80 for line in lines), output
    return lines


def test_default_table_fits_80_columns_with_the_key_facts(runs, sqlite_workspace) -> None:
    result = _list(sqlite_workspace.root)
    assert result.returncode == 0, result.stderr
    lines = _fits(result.stdout)
    assert len(lines) <= 8, result.stdout  # title, header, rule, two runs: no wrapped cells
    for header in ("id", "name", "status", "start", "duration", "accuracy", "auc", "f1"):
        assert header in lines[1]
    for run_id in runs:
        assert run_id[:8] in result.stdout
    assert "finished" in result.stdout and "0.8612" in result.stdout
    assert "feature_1" not in result.stdout  # params only when asked for


def test_metrics_in_order_by_and_columns_are_shown(runs, sqlite_workspace) -> None:
    ordered = _list(sqlite_workspace.root, "--order-by", "metrics.precision desc")
    assert "precision" in _fits(ordered.stdout)[1]
    picked = _list(sqlite_workspace.root, "--columns", "params.model,params.features,metrics.auc")
    lines = _fits(picked.stdout)
    assert "model" in lines[1] and "features" in lines[1] and "accuracy" not in lines[1]
    assert "gbm" in picked.stdout and "weather:f" in picked.stdout
    assert "feature_59" not in picked.stdout and "…" in picked.stdout  # cut, not wrapped
    bad = _list(sqlite_workspace.root, "--columns", "metrics.nope")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "metrics.nope" in bad.stderr and "metrics.auc" in bad.stderr


def test_wide_and_json_keep_every_value(runs, sqlite_workspace) -> None:
    wide = _list(sqlite_workspace.root, "--wide")
    assert wide.returncode == 0, wide.stderr
    assert FEATURES in wide.stdout and runs[0] in wide.stdout and "p9" in wide.stdout
    assert len(wide.stdout.splitlines()) <= 8  # long lines, but one per run
    rows = json.loads(_list(sqlite_workspace.root, "--json").stdout)
    assert rows[0]["params.features"] == FEATURES and len(rows) == 2


@pytest.mark.parametrize(
    "args",
    [
        pytest.param((), id="fresh-workspace"),
        pytest.param(("--filter", "metrics.auc > 2"), id="filter-matching-nothing"),
        pytest.param(("--experiment", "no-such-experiment"), id="unknown-experiment"),
        pytest.param(("--wide",), id="wide"),
    ],
)
def test_an_empty_result_is_an_empty_table_and_an_empty_json_list(
    sqlite_workspace: dl.Workspace, args: tuple[str, ...]
) -> None:
    if args and args[0] == "--filter":
        with dl.start_run(experiment="flights"):
            dl.log_metric("auc", 0.8)
    table = _list(sqlite_workspace.root, *args)
    assert table.returncode == 0, table.stderr
    lines = _fits(table.stdout)
    assert "0 run(s)" in lines[0] and "id" in lines[1] and "status" in lines[1]
    listed = _list(sqlite_workspace.root, *args, "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []


def test_json_writes_null_for_a_value_never_logged_and_nan_for_a_logged_nan(
    sqlite_workspace: dl.Workspace,
) -> None:
    with dl.start_run(experiment="flights", name="tuned"):
        dl.log_param("max_depth", 8)
        dl.log_metric("auc", float("nan"))
    with dl.start_run(experiment="flights", name="bare"):
        dl.set_tag("team", "risk")
    listed = _list(sqlite_workspace.root, "--json", "--order-by", "run_name")
    assert listed.returncode == 0, listed.stderr
    bare, tuned = json.loads(listed.stdout)
    assert bare["params.max_depth"] is None and bare["metrics.auc"] is None
    assert tuned["params.max_depth"] == "8" and tuned["metrics.auc"] == "NaN"
    assert tuned["tags.team"] is None
    table = _list(sqlite_workspace.root, "--order-by", "run_name")
    lines = _fits(table.stdout)  # title, header, rule, bare, tuned
    assert "NaN" not in lines[3] and "NaN" in lines[4]
