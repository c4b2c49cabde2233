"""The loop's trainer over real pipeline runs in worker processes."""

from __future__ import annotations

import os
import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

import driftloop as dl
from driftloop.automation import LoopPolicy, parse_policy
from driftloop.automation._protocols import TrainingStatus
from driftloop.automation._training import PipelineTrainer

pytestmark = pytest.mark.slow  # starts worker processes

TRAIN = """
from sklearn.linear_model import LogisticRegression

@dl.step
def train(fail: bool = False) -> int:
    if fail:
        raise ValueError("no data this week")
    x = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    model = LogisticRegression().fit(x, [0, 0, 1, 1])
    with dl.start_run():
        logged = dl.log_model(model, "churn", input_example=x, register=True)
    return logged.version.version

@dl.pipeline
def retrain(fail: bool = False):
    train(fail)
"""


def policy_dict(module: str) -> dict[str, object]:
    return {
        "endpoint": "churn",
        "model": "churn",
        "pipeline": f"{module}:retrain",
        "triggers": [{"alert": "drift"}],
    }


def wait(trainer: PipelineTrainer, policy: LoopPolicy, run_id: str) -> TrainingStatus:
    for _ in range(600):
        status = trainer.status(policy, run_id)
        if status.state != "running":
            return status
        time.sleep(0.1)
    raise AssertionError("the submitted pipeline never finished")


@pytest.fixture
def trainer_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"loop_train_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "pipeline_code"
    folder.mkdir()
    source = "import pandas as pd\nimport driftloop as dl\n" + textwrap.dedent(TRAIN)
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    # The submitted run executes in a new process, which must import the module too.
    paths = [str(folder), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    return name


def test_the_trainer_submits_once_per_episode_and_finds_the_version_made(
    sqlite_workspace: dl.Workspace, trainer_module: str
) -> None:
    policy = parse_policy(policy_dict(trainer_module))
    trainer = PipelineTrainer(sqlite_workspace.pipelines)
    now = datetime.now(UTC)
    run_id = trainer.submit(policy, "episode-1", now)
    assert trainer.submit(policy, "episode-1", now) == run_id
    status = wait(trainer, policy, run_id)
    assert status.state == "succeeded" and status.model_version == 1
    failing = parse_policy({**policy_dict(trainer_module), "params": {"fail": True}})
    failed = wait(trainer, failing, trainer.submit(failing, "episode-2", now))
    assert failed.state == "failed" and "no data this week" in (failed.error or "")
