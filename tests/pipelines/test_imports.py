"""`module:attr` targets are importable from the workspace, as `python -m` would find them.

The real `driftloop` console script (which, unlike `python -m`, puts no folder of the
user's on the import path) runs in a temporary workspace holding flows.py, from the
workspace root and from a subfolder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.errors import NotFoundError
from driftloop.pipelines._imports import import_module_name, script_path

FLOWS = """
import driftloop as dl
from helpers import double  # a neighbour module: importable too

@dl.step
def make(n: int) -> int:
    return double(n)

@dl.pipeline
def training(n: int = 2):
    make(n)
"""

TRIGGER = """
[[trigger]]
name = "by-hand"
kind = "manual"
target = "flows:training"
params = { n = 5 }
"""


def _driftloop(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "driftloop"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLOOP_")}
    return subprocess.run(
        [str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _wait_for_run(root: Path, run_id: str) -> dl.PipelineRun:
    with dl.Workspace(root) as ws:  # the run goes on in a detached process
        deadline = time.monotonic() + 60
        while not (run := ws.pipelines.get_run(run_id)).status.is_finished:
            assert time.monotonic() < deadline, "the run did not finish"
            time.sleep(0.2)
        return run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    assert _driftloop(root, "init").returncode == 0
    (root / "flows.py").write_text(FLOWS, encoding="utf-8")
    (root / "helpers.py").write_text("def double(n):\n    return 2 * n\n", encoding="utf-8")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("where", [".", "notebooks"])
def test_pipeline_run_finds_flows_py_from_the_workspace_root_and_a_subfolder(
    project: Path, where: str
) -> None:
    ran = _driftloop(project / where, "pipeline", "run", "flows:training", "-p", "n=3", "--json")
    assert ran.returncode == 0, ran.stderr
    record = json.loads(ran.stdout)
    assert record["status"] == "succeeded", record
    with dl.Workspace(project) as ws:
        assert ws.pipelines.load_output(record["id"], "make") == 6


@pytest.mark.slow
def test_pipeline_trigger_from_a_subfolder_starts_the_declared_target(project: Path) -> None:
    with open(project / "driftloop.toml", "a", encoding="utf-8") as config:
        config.write(TRIGGER)
    sub = project / "notebooks"
    applied = _driftloop(sub, "scheduler", "--once", "--no-webhooks", "--json")
    assert applied.returncode == 0, applied.stderr
    fired = _driftloop(sub, "pipeline", "trigger", "by-hand", "--json")
    assert fired.returncode == 0, fired.stderr + fired.stdout
    event = json.loads(fired.stdout)
    assert event["error"] is None and event["pipeline_run_id"]
    run = _wait_for_run(project, event["pipeline_run_id"])
    assert run.status is dl.StepStatus.SUCCEEDED, run.error
    with dl.Workspace(project) as ws:
        assert ws.pipelines.load_output(run.id, "make") == 10


LOOP = """
[[loop]]
endpoint = "churn"
model = "churn"
pipeline = "flows:training"
triggers = [{ alert = "churn-drift" }]
"""


@pytest.mark.slow
def test_loop_run_once_from_a_subfolder_applies_and_starts_the_policy_pipeline(
    project: Path,
) -> None:
    from sklearn.linear_model import LogisticRegression

    with dl.Workspace(project) as ws:
        run_id = ws.tracking.create_run("churn")
        x = [[0.0], [1.0], [2.0], [3.0]]
        ws.registry.log_model(
            run_id, LogisticRegression().fit(x, [0, 0, 1, 1]), "churn", register=True
        )
        ws.tracking.end_run(run_id)
        ws.serving.deploy("churn", "churn@1")
    with open(project / "driftloop.toml", "a", encoding="utf-8") as config:
        config.write(LOOP)
    sub = project / "notebooks"
    applied = _driftloop(sub, "loop", "run-once", "--json")
    assert applied.returncode == 0, applied.stderr
    started = _driftloop(sub, "loop", "retrain", "churn", "--json")
    assert started.returncode == 0, started.stderr
    [episode] = json.loads(_driftloop(sub, "loop", "run-once", "--json").stdout)
    assert episode["state"] == "training", episode
    run = _wait_for_run(project, episode["pipeline_run_id"])
    assert run.status is dl.StepStatus.SUCCEEDED, run.error


@pytest.mark.slow
def test_a_module_found_nowhere_names_the_folders_searched_and_the_fix(project: Path) -> None:
    failed = _driftloop(project / "notebooks", "pipeline", "run", "flowz:training")
    assert failed.returncode != 0
    message = " ".join(failed.stderr.split())  # the console wraps long lines
    assert "cannot import module 'flowz'" in message
    assert "Traceback" not in failed.stderr
    for part in (
        f"the current folder {(project / 'notebooks').resolve()}",
        f"the workspace root {project.resolve()}",
        "run driftloop from the folder holding flowz.py",
        "path/to/flowz.py:NAME",
    ):
        assert part in message, message


def test_a_missing_dependency_of_the_module_is_not_reported_as_the_module(tmp_path: Path) -> None:
    name = f"flows_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("import no_such_dependency_xyz\n", encoding="utf-8")
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        import_module_name(name, [tmp_path])
    with pytest.raises(
        NotFoundError, match=rf"cannot import module 'x{name}\.sub'.*x{name}/sub.py"
    ):
        import_module_name(f"x{name}.sub", [tmp_path / "elsewhere"])


def test_a_script_path_is_found_under_the_workspace_root_and_refused_naming_both(
    tmp_path: Path,
) -> None:
    root, cwd = tmp_path / "root", tmp_path  # the autouse fixture runs tests in tmp_path
    (root / "pipelines").mkdir(parents=True)
    (root / "pipelines" / "flows.py").write_text("", encoding="utf-8")
    found = script_path("pipelines/flows.py", [root])
    assert found == (root / "pipelines" / "flows.py").resolve()
    with pytest.raises(NotFoundError) as info:
        script_path("pipelines/nope.py", [root])
    assert f"the current folder {cwd.resolve()} or the workspace root {root.resolve()}" in str(
        info.value
    )
