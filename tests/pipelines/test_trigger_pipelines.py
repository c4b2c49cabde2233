"""A fired trigger starts its pipeline through ws.pipelines.submit, in a real process."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.pipelines import EventStatus

from .conftest import WriteModule

pytestmark = pytest.mark.slow  # the submitted run is a detached process

BUMP = """
@dl.step
def add(x: int) -> int:
    return x + 1

@dl.pipeline
def bump(x: int = 1):
    add(x)
"""


def _finished(ws: dl.Workspace, run_id: str) -> dl.PipelineRun:
    deadline = time.monotonic() + 120
    while True:
        run = ws.pipelines.get_run(run_id)
        if run.status.is_finished or time.monotonic() > deadline:
            return run
        time.sleep(0.1)  # polling another process's record, not waiting for time to pass


# submit() leaves its detached process running by design; Python's Popen.__del__ says so
# with a ResourceWarning (raised through pytest's unraisable hook), not a failure.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_fired_trigger_submits_its_pipeline_once_and_records_the_run(
    workspace: dl.Workspace,
    write_module: WriteModule,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    module = write_module(BUMP)
    src = str(Path(dl.__file__).parents[1])
    path = [str(tmp_path / "pipeline_code"), src, os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path))
    workspace.triggers.define("bump-now", target=f"{module.__name__}:bump", params={"x": 5})
    event = workspace.triggers.fire("bump-now", event_key="k1", payload={"params": {"x": 41}})
    assert event.status is EventStatus.FIRED, event.error
    assert event.pipeline_run_id is not None
    again = workspace.triggers.fire("bump-now", event_key="k1")
    assert not again.is_new and again.pipeline_run_id == event.pipeline_run_id
    run = _finished(workspace, event.pipeline_run_id)
    assert run.status is dl.StepStatus.SUCCEEDED, run.error
    assert run.trigger_event_id == event.id
    assert dict(run.params) == {"x": 41}
    assert [r.id for r in workspace.pipelines.list_runs()] == [run.id]


def test_a_trigger_whose_pipeline_went_missing_records_why(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(BUMP)
    sqlite_workspace.triggers.define("lost", target=f"{module.__name__}:bump")
    Path(module.__file__).unlink()  # deleted after the trigger was declared
    sys.modules.pop(module.__name__)
    event = sqlite_workspace.triggers.fire("lost")
    assert event.status is EventStatus.FAILED
    assert event.error is not None and f"cannot import module {module.__name__!r}" in event.error


HELD = """
@dl.step(cache=False)
def held(release: str) -> str:
    while not Path(release).exists():  # the test lets the run finish when it has looked
        time.sleep(0.05)
    return "released"

@dl.pipeline
def hold(release: str):
    held(release)
"""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_scheduler_status_shows_a_triggered_run_while_it_runs(
    sqlite_workspace: dl.Workspace,
    write_module: WriteModule,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from driftloop.pipelines._scheduler_status import scheduler_status
    from driftloop.store import utcnow

    module = write_module(HELD)
    src = str(Path(dl.__file__).parents[1])
    path = [str(tmp_path / "pipeline_code"), src, os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path))
    release = tmp_path / "release"
    ws = sqlite_workspace
    ws.triggers.define("held", target=f"{module.__name__}:hold", params={"release": str(release)})
    event = ws.triggers.fire("held")
    [running] = scheduler_status(ws.store, ws.triggers, utcnow()).running
    assert running.event.id == event.id and running.run_status in ("pending", "running")
    release.touch()
    assert event.pipeline_run_id is not None
    assert _finished(ws, event.pipeline_run_id).status is dl.StepStatus.SUCCEEDED
    status = scheduler_status(ws.store, ws.triggers, utcnow())
    assert status.running == [] and [e.id for e in status.fired] == [event.id]
