"""Failures: retries with backoff, timeouts, isolation of branches, resume, and SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.pipelines._service import PipelineService

from .conftest import WriteModule

pytestmark = pytest.mark.slow  # starts worker processes

FLAKY = """
FLAG = Path(os.environ["PIPELINE_TEST_DIR"])

@dl.step(retries=2, retry_delay=0.05, backoff=2)
def flaky() -> int:
    # Fails on its first attempt only: the counter file says which attempt this is.
    counter = FLAG / "attempts"
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    if n == 1:
        raise RuntimeError("first attempt fails")
    return n

@dl.step
def fragile(x: int) -> int:
    print("about to fail")
    if not (FLAG / "fixed").exists():
        raise ValueError(f"broken input {x}")
    return x + 1

@dl.step
def after(x: int) -> int:
    return x * 10

@dl.step
def independent() -> str:
    return "done"

@dl.step(timeout=1)
def slow() -> str:
    time.sleep(60)
    return "never"

@dl.pipeline
def branches():
    after(fragile(flaky()))
    independent()

@dl.pipeline
def too_slow():
    slow()
    independent()
"""


@pytest.fixture
def flag_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "flags"
    folder.mkdir()
    monkeypatch.setenv("PIPELINE_TEST_DIR", str(folder))
    return folder


def _statuses(run: dl.PipelineRun) -> dict[str, str]:
    return {s.name: s.status.value for s in run.steps}


def test_a_retried_step_a_failed_branch_and_then_resume(
    workspace: dl.Workspace, write_module: WriteModule, flag_dir: Path
) -> None:
    module = write_module(FLAKY)
    run = workspace.pipelines.run(module.branches)
    assert run.status is dl.StepStatus.FAILED
    assert _statuses(run) == {
        "flaky": "succeeded",
        "fragile": "failed",
        "after": "skipped",
        "independent": "succeeded",
    }
    assert run.step("flaky").attempt == 2
    assert "step 'fragile' failed after 1 attempt(s): ValueError: broken input 2" in run.error
    assert "about to fail" in run.error  # the log tail
    assert "_worker.py" not in run.error  # the traceback starts in the step's own code
    assert "upstream step 'fragile' failed" in (run.step("after").error or "")

    (flag_dir / "fixed").write_text("")
    resumed = workspace.pipelines.resume(run.id[:8])
    assert resumed.id == run.id
    assert resumed.status is dl.StepStatus.SUCCEEDED
    assert _statuses(resumed) == {
        "flaky": "succeeded",
        "fragile": "succeeded",
        "after": "succeeded",
        "independent": "succeeded",
    }
    assert resumed.step("flaky").attempt == 2  # not run again
    assert resumed.step("fragile").attempt == 2
    assert (flag_dir / "attempts").read_text() == "2"
    assert workspace.pipelines.load_output(run.id, "after") == 30


def test_a_step_past_its_timeout_is_stopped_and_the_rest_finishes(
    sqlite_workspace: dl.Workspace, write_module: WriteModule, flag_dir: Path
) -> None:
    module = write_module(FLAKY)
    started = time.monotonic()
    run = sqlite_workspace.pipelines.run(module.too_slow)
    assert time.monotonic() - started < 30
    assert _statuses(run) == {"slow": "failed", "independent": "succeeded"}
    assert "ran longer than its timeout of 1 s" in (run.error or "")


SLEEPER = """
GATE = Path(os.environ["PIPELINE_TEST_DIR"])

@dl.step
def first() -> int:
    return 1

@dl.step
def wait_for_gate(x: int) -> int:
    (GATE / "started").write_text(str(os.getpid()))
    while not (GATE / "open").exists():
        time.sleep(0.05)
    return x + 1

@dl.pipeline
def gated():
    wait_for_gate(first())
"""


def test_a_sigkilled_run_is_marked_abandoned_and_resume_finishes_it(
    workspace: dl.Workspace, write_module: WriteModule, flag_dir: Path
) -> None:
    module = write_module(SLEEPER)
    folder = Path(module.__file__).parent
    env = _env(workspace)
    env["PYTHONPATH"] = os.pathsep.join([str(folder), *sys.path])
    process = subprocess.Popen(
        [sys.executable, "-m", "driftloop", "pipeline", "run", f"{module.__name__}:gated"],
        env=env,
        cwd=workspace.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (flag_dir / "started").exists():
            assert time.monotonic() < deadline, "the step never started"
            assert process.poll() is None, "the run ended early"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # the CLI and its worker, no clean-up
        process.wait(10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    (run,) = workspace.pipelines.list_runs()
    assert run.status is dl.StepStatus.RUNNING  # its last beat is recent: it may be alive
    assert run.step("wait_for_gate").status is dl.StepStatus.RUNNING

    later = _service_at(workspace, datetime.now(UTC) + timedelta(minutes=5))
    stale = later.get_run(run.id)
    assert stale.status is dl.StepStatus.FAILED
    assert "abandoned: no heartbeat since" in (stale.error or "")
    assert stale.step("wait_for_gate").status is dl.StepStatus.FAILED
    assert stale.step("first").status is dl.StepStatus.SUCCEEDED

    (flag_dir / "open").write_text("")
    resumed = workspace.pipelines.resume(run.id)
    assert resumed.status is dl.StepStatus.SUCCEEDED
    assert resumed.step("first").attempt == 1
    assert resumed.step("wait_for_gate").attempt == 2
    assert workspace.pipelines.load_output(run.id, "wait_for_gate") == 2


def _service_at(ws: dl.Workspace, now: datetime) -> PipelineService:
    base = ws.pipelines
    return PipelineService(
        ws.store,
        ws.blobs,
        ws.user,
        open_workspace=base._open_workspace,
        resolve=base._resolve,
        local_executor=base._local,
        clock=lambda: now,
    )


def test_resume_refuses_a_run_that_is_still_beating(
    sqlite_workspace: dl.Workspace, write_module: WriteModule, flag_dir: Path
) -> None:
    module = write_module(SLEEPER)
    run_id = sqlite_workspace.pipelines.submit(module.gated)
    try:
        with pytest.raises(dl.ConflictError, match="still"):
            sqlite_workspace.pipelines.resume(run_id)
    finally:
        (flag_dir / "open").write_text("")
    deadline = time.monotonic() + 60
    while not sqlite_workspace.pipelines.get_run(run_id).status.is_finished:
        assert time.monotonic() < deadline, "the submitted run never finished"
        time.sleep(0.1)
    assert sqlite_workspace.pipelines.get_run(run_id).status is dl.StepStatus.SUCCEEDED


def test_a_worker_killed_mid_step_is_a_failed_attempt_and_the_retry_runs(
    sqlite_workspace: dl.Workspace, write_module: WriteModule, flag_dir: Path
) -> None:
    module = write_module(
        """
        import signal
        FLAG = Path(os.environ["PIPELINE_TEST_DIR"])

        @dl.step(retries=1, retry_delay=0)
        def dies_once() -> str:
            if not (FLAG / "died").exists():
                (FLAG / "died").write_text("")
                os.kill(os.getpid(), signal.SIGKILL)  # the worker process itself
            return "second attempt"

        @dl.pipeline
        def killed():
            dies_once()
        """
    )
    run = sqlite_workspace.pipelines.run(module.killed)
    assert run.status is dl.StepStatus.SUCCEEDED, run.error
    assert run.step("dies_once").attempt == 2
    assert sqlite_workspace.pipelines.load_output(run.id, "dies_once") == "second attempt"
    again = sqlite_workspace.pipelines.run(module.killed, no_cache=True)
    assert again.succeeded  # the pool replaced the dead worker


def _env(ws: dl.Workspace) -> dict[str, str]:
    """The environment of a process working on ``ws`` (any metadata backend)."""
    return {
        **os.environ,
        "DRIFTLOOP_HOME": str(ws.root),
        "DRIFTLOOP_DB_URL": ws.settings.db_url,
        "DRIFTLOOP_ARTIFACT_URL": ws.settings.artifact_url,
    }


def test_a_timeout_counts_from_when_the_worker_began_not_from_its_start_up(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(
        """
        @dl.step(timeout=0.5)
        def quick() -> int:
            time.sleep(0.1)
            return 1

        @dl.pipeline
        def cold():
            quick()
        """
    )
    # A fresh pool: the worker's start-up (over a second) exceeds the timeout.
    run = sqlite_workspace.pipelines.run(module.cold, executor="local:1")
    assert run.succeeded, run.error
