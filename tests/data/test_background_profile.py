"""The default log registers a checked version at once; its profile follows in the background."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

import driftloop as dl
from driftloop.cli import app
from driftloop.store._data_rows import DatasetVersionRow

runner = CliRunner()


def _stored_profile(ws: dl.Workspace) -> object:
    with ws.store.read() as session:
        return session.query(DatasetVersionRow).one().profile


def test_default_log_returns_pending_and_the_profile_follows(
    workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    version = dl.log_dataset("flights", frame)
    assert version.profile_pending is True and version.ref == "flights@1"
    profile = workspace.datasets.profile(version)  # waits for the background job
    assert profile["num_rows"] == len(frame) and profile["columns"]["id"]["max"] == len(frame) - 1
    assert _stored_profile(workspace) == profile
    assert workspace.datasets.get_version("flights@1").profile_pending is False
    assert dl.log_dataset("flights", frame).profile_pending is False  # same content, stored


def test_profile_false_starts_no_background_work(
    workspace: dl.Workspace, frame: pd.DataFrame
) -> None:
    version = dl.log_dataset("flights", frame, profile=False)
    workspace.datasets.close()  # nothing queued: nothing to wait for or abandon
    assert _stored_profile(workspace) is None
    assert workspace.datasets.get_version(version.ref).profile_pending is True


def test_closing_abandons_a_running_profile_cleanly(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "wide.parquet"
    rng = np.random.default_rng(1)
    pq.write_table(pa.table({f"c{i}": rng.random(400_000) for i in range(30)}), path)
    version = dl.log_dataset("wide", path)
    workspace.datasets.close()  # interrupts the scan, waits for the thread
    stored = _stored_profile(workspace)
    assert stored is None or stored["num_rows"] == 400_000  # never a partial profile
    assert workspace.datasets.profile(version)["num_rows"] == 400_000  # computed on first use
    assert _stored_profile(workspace) is not None


def test_cli_log_and_show_say_the_profile_is_pending(
    sqlite_workspace: dl.Workspace, frame: pd.DataFrame, tmp_path: Path
) -> None:
    csv = tmp_path / "flights.csv"
    frame.to_csv(csv, index=False)
    logged = runner.invoke(app, ["data", "log", "flights", str(csv), "--no-profile"])
    assert logged.exit_code == 0, logged.output
    assert "flights@1" in logged.output and "profile pending" in logged.output
    shown = runner.invoke(app, ["data", "show", "flights@1", "--json"])
    assert json.loads(shown.output)["profile_pending"] is True
    assert "profile pending" in runner.invoke(app, ["data", "show", "flights@1"]).output
    assert runner.invoke(app, ["data", "profile", "flights@1", "--json"]).exit_code == 0
    assert "profile: stored" in runner.invoke(app, ["data", "show", "flights@1"]).output


def test_cli_process_exits_at_once_and_the_profile_is_computed_on_first_use(
    sqlite_workspace: dl.Workspace, frame: pd.DataFrame, tmp_path: Path
) -> None:
    csv = tmp_path / "flights.csv"
    frame.to_csv(csv, index=False)
    command = [sys.executable, "-m", "driftloop", "data", "log", "flights", str(csv), "--json"]
    out = subprocess.run(
        command, cwd=sqlite_workspace.root, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["version"] == 1 and "Traceback" not in out.stderr
    profile = sqlite_workspace.datasets.profile("flights@1")
    assert profile["num_rows"] == len(frame)
