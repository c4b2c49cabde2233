"""Cancelling a pipeline run: from another thread or process, its workers stop, its steps
and the run end cancelled, and a later resume runs them again."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.testing import invoke_cli

from .conftest import WriteModule

pytestmark = pytest.mark.slow  # starts worker processes

SLEEPY = """
@dl.step
def sleepy(marker: str) -> int:
    # Says which process runs it, then sleeps far past any test: only a cancel ends it.
    Path(marker).write_text(str(os.getpid()))
    if Path(marker + ".fast").exists():
        return 1
    time.sleep(120)
    return 1

@dl.step
def after(x: int) -> int:
    return x + 1

@dl.pipeline
def flow(marker: str = ""):
    after(sleepy(marker))
"""


def _worker_pid(marker: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.05)
    return int(marker.read_text())


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _statuses(run: dl.PipelineRun) -> dict[str, str]:
    return {s.name: s.status.value for s in run.steps}


def test_a_run_cancelled_from_another_thread_stops_its_worker_and_resumes_later(
    workspace: dl.Workspace, write_module: WriteModule, tmp_path: Path
) -> None:
    module = write_module(SLEEPY)
    marker = tmp_path / "marker"
    done: list[dl.PipelineRun] = []
    runner = threading.Thread(
        target=lambda: done.append(workspace.pipelines.run(module.flow, {"marker": str(marker)}))
    )
    runner.start()
    pid = _worker_pid(marker)
    (running,) = workspace.pipelines.list_runs()
    event = workspace.acting_as("ana").pipelines.cancel_run(running.id[:8])
    assert (event.kind, event.name, event.action, event.actor) == (
        "pipeline_run",
        running.id,
        "cancel",
        "ana",
    )
    runner.join(30)
    assert not runner.is_alive(), "the run did not stop"
    (run,) = done
    assert run.status is dl.StepStatus.CANCELLED and _gone(pid)
    assert _statuses(run) == {"sleepy": "cancelled", "after": "cancelled"}
    assert run.error == f"cancelled by ana at {event.at:%Y-%m-%d %H:%M:%S} UTC"
    assert run.cancel_requested_by == "ana"
    with pytest.raises(dl.ConflictError, match="has ended \\(cancelled\\); there is nothing"):
        workspace.pipelines.cancel_run(run.id)
    (tmp_path / "marker.fast").write_text("")
    resumed = workspace.pipelines.resume(run.id)
    assert resumed.status is dl.StepStatus.SUCCEEDED
    assert _statuses(resumed) == {"sleepy": "succeeded", "after": "succeeded"}


def test_a_run_nobody_started_yet_ends_cancelled_at_once(
    workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(SLEEPY)
    steps = [{"name": "sleepy", "function": "m:sleepy", "upstream": []}]
    values = {"pipeline": "flow", "target": f"{module.__name__}:flow", "params": {}}
    values |= {"executor": "local", "no_cache": False, "created_by": "t"}
    run_id = workspace.pipelines.records.create_run(values, steps)
    workspace.pipelines.cancel_run(run_id)
    run = workspace.pipelines.get_run(run_id)
    assert run.status is dl.StepStatus.CANCELLED and _statuses(run) == {"sleepy": "cancelled"}
    assert run.error == f"cancelled by {workspace.user} before it started"
    with pytest.raises(dl.ConflictError, match="is cancelled, not pending"):
        workspace.pipelines.execute_recorded(run_id)  # the detached process, started late


def test_the_cli_cancels_a_detached_run_and_its_worker_process_is_gone(
    sqlite_workspace: dl.Workspace, write_module: WriteModule, tmp_path: Path
) -> None:
    module = write_module(SLEEPY)
    marker = tmp_path / "marker"
    started = invoke_cli(
        "pipelines",
        "run",
        f"{module.__name__}:flow",
        "-p",
        f"marker={marker}",
        "--detach",
        "--json",
    )
    assert started.exit_code == 0, started.stderr
    run_id = json.loads(started.stdout)["run_id"]
    pid = _worker_pid(marker)  # the step runs in a worker of the detached process
    cancelled = invoke_cli("pipelines", "cancel", run_id[:8], "--json")
    assert cancelled.exit_code == 0, cancelled.stderr
    answer = json.loads(cancelled.stdout)
    assert answer["cancel"]["action"] == "cancel" and answer["run"]["status"] == "cancelled"
    assert [s["status"] for s in answer["run"]["steps"]] == ["cancelled", "cancelled"]
    assert _gone(pid), f"worker process {pid} is still alive"
    again = invoke_cli("pipeline", "cancel", "flow")  # the earlier spelling; its newest run
    assert again.exit_code == 1 and "there is nothing to cancel" in again.stderr
