"""Caching on content: a hit reuses the stored output; code, params and input data miss."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import driftloop as dl

from .conftest import HEADER, WriteModule

pytestmark = pytest.mark.slow  # starts worker processes

SOURCE = """
def helper(x):
    return x * 2

@dl.step
def load(data: dl.DatasetVersion) -> pd.DataFrame:
    return dl.get_dataset(data.ref).to_pandas()

@dl.step
def score(df: pd.DataFrame, factor: int) -> int:
    return helper(int(df.a.sum())) * factor

@dl.step(cache=False)
def report(value: int) -> str:
    return f"score {value}"

@dl.pipeline
def scoring(data: dl.DatasetVersion = "numbers", factor: int = 1):
    report(score(load(data), factor=factor))
"""


def _statuses(run: dl.PipelineRun) -> dict[str, str]:
    return {s.name: s.status.value for s in run.steps}


def test_a_hit_a_parameter_miss_and_a_new_dataset_version_miss(
    workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(SOURCE)
    dl.log_dataset("numbers", pd.DataFrame({"a": [1, 2]}))
    first = workspace.pipelines.run(module.scoring)
    assert _statuses(first) == {"load": "succeeded", "score": "succeeded", "report": "succeeded"}
    second = workspace.pipelines.run(module.scoring)
    # cache=False: report runs each time; the others reuse what the first run stored
    assert _statuses(second) == {"load": "cached", "score": "cached", "report": "succeeded"}
    assert second.step("score").cached_from == first.step("score").id
    assert second.status is dl.StepStatus.SUCCEEDED
    assert workspace.pipelines.load_output(second.id, "report") == "score 6"

    changed_param = workspace.pipelines.run(module.scoring, {"factor": 2})
    assert _statuses(changed_param)["load"] == "cached"
    assert _statuses(changed_param)["score"] == "succeeded"

    dl.log_dataset("numbers", pd.DataFrame({"a": [1, 2, 3]}))
    new_data = workspace.pipelines.run(module.scoring)
    assert new_data.params["data"] == "numbers@2"
    assert _statuses(new_data)["load"] == "succeeded"
    assert workspace.pipelines.load_output(new_data.id, "report") == "score 12"

    everything = workspace.pipelines.run(module.scoring, no_cache=True)
    assert set(_statuses(everything).values()) == {"succeeded"}


def test_editing_the_step_or_a_project_helper_it_calls_is_a_miss(
    sqlite_workspace: dl.Workspace, write_module: WriteModule, tmp_path: Path
) -> None:
    module = write_module(SOURCE, name="pl_code_change")
    dl.log_dataset("numbers", pd.DataFrame({"a": [1, 2]}))
    sqlite_workspace.pipelines.run("pl_code_change:scoring")
    path = Path(module.__file__)
    source = path.read_text()
    # A comment-free edit of the helper only (the step's own source is unchanged).
    path.write_text(source.replace("return x * 2", "return x * 3"))
    os.utime(path, (1, 1))  # a different stamp even within the same second
    helper_changed = sqlite_workspace.pipelines.run("pl_code_change:scoring")
    assert _statuses(helper_changed) == {
        "load": "cached",
        "score": "succeeded",
        "report": "succeeded",
    }
    assert sqlite_workspace.pipelines.load_output(helper_changed.id, "report") == "score 9"
    path.write_text(path.read_text().replace("return dl.get_dataset", "return  dl.get_dataset"))
    os.utime(path, (2, 2))
    step_changed = sqlite_workspace.pipelines.run("pl_code_change:scoring")
    assert _statuses(step_changed)["load"] == "succeeded"


def test_the_cache_is_shared_by_processes_through_the_metadata_store(
    workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(SOURCE)
    dl.log_dataset("numbers", pd.DataFrame({"a": [5]}))
    folder = Path(module.__file__).parent
    env = _env(workspace)
    env["PYTHONPATH"] = os.pathsep.join([str(folder), *sys.path])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "driftloop",
            "pipeline",
            "run",
            f"{module.__name__}:scoring",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=workspace.root,
    )
    assert done.returncode == 0, done.stderr
    here = workspace.pipelines.run(module.scoring)
    assert _statuses(here)["score"] == "cached"


def test_a_script_pipeline_runs_without_its_main_block_running_in_workers(
    sqlite_workspace: dl.Workspace, tmp_path: Path
) -> None:
    script = tmp_path / "flow.py"
    marker = tmp_path / "main-ran"
    script.write_text(
        HEADER
        + f"""
@dl.step
def hello() -> str:
    return "hi"

@dl.pipeline
def flow():
    hello()

if __name__ == "__main__":
    with open({str(marker)!r}, "a") as f:
        f.write("ran\\n")
    run = dl.run_pipeline(flow)
    print(run.status.value, dl.get_workspace().pipelines.load_output(run.id, "hello"))
"""
    )
    env = {**os.environ, "DRIFTLOOP_HOME": str(sqlite_workspace.root)}
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "succeeded hi"
    assert marker.read_text() == "ran\n"  # the workers loaded the script as a module
    again = sqlite_workspace.pipelines.run(f"{script}:flow")
    assert _statuses(again) == {"hello": "cached"}


def _env(ws: dl.Workspace) -> dict[str, str]:
    """The environment of a process working on ``ws`` (any metadata backend)."""
    return {
        **os.environ,
        "DRIFTLOOP_HOME": str(ws.root),
        "DRIFTLOOP_DB_URL": ws.settings.db_url,
        "DRIFTLOOP_ARTIFACT_URL": ws.settings.artifact_url,
    }
