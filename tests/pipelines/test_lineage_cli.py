"""Lineage model version <-> pipeline step, and the `driftloop pipeline` commands."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import driftloop as dl
from driftloop.testing import invoke_cli

from .conftest import WriteModule

pytestmark = pytest.mark.slow  # starts worker processes

TRAINING = """
@dl.step
def data() -> pd.DataFrame:
    print("rows ready")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    frame["y"] = (frame.a > 0).astype(int)
    return frame

@dl.step
def train(frame: pd.DataFrame, c: float) -> str:
    from sklearn.linear_model import LogisticRegression
    with dl.start_run(experiment="lineage") as run:
        model = LogisticRegression(C=c).fit(frame[["a", "b"]], frame.y)
        dl.log_model(model, input_example=frame[["a", "b"]].head(2))
    return run.id

@dl.step
def register(run_id: str):
    return dl.register_model(f"runs:/{run_id}/model", "lin")

@dl.pipeline
def training(c: float = 1.0):
    register(train(data(), c=c))
"""


def test_a_model_version_walks_to_its_pipeline_steps_and_back(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(TRAINING)
    run = sqlite_workspace.pipelines.run(module.training)
    assert run.status is dl.StepStatus.SUCCEEDED, run.error
    train, register = run.step("train"), run.step("register")
    assert len(train.tracking_runs) == 1
    assert register.model_versions == ("lin@1",)  # and back: the run lists what it made
    graph = dl.lineage("models:/lin/1")
    steps = {n.attributes["step"]: n for n in graph.nodes if n.kind == "pipeline_step"}
    assert set(steps) == {"train", "register"}
    assert steps["register"].attributes["pipeline_run_id"] == run.id
    relations = {e.relation for e in graph.edges if e.target.startswith("pipeline_step:")}
    assert relations == {"made_in_step", "returned_by_step", "run_made_in_step"}

    shown = invoke_cli("models", "lineage", "lin@1")
    assert shown.exit_code == 0, shown.stderr
    assert "step register of pipeline training" in shown.stdout


def test_the_cli_runs_shows_logs_and_lists_with_json(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(TRAINING)
    target = f"{module.__name__}:training"
    ran = invoke_cli("pipeline", "run", target, "-p", "c=0.5", "--json")
    assert ran.exit_code == 0, ran.stderr
    record = json.loads(ran.stdout)
    assert record["status"] == "succeeded"
    assert record["params"] == {"c": 0.5}
    run_id = record["id"]

    again = invoke_cli("pipeline", "run", "training", "-p", "c=0.5")
    assert again.exit_code == 0, again.stderr
    assert "All 3 steps cached" in again.stdout
    forced = invoke_cli("pipeline", "run", "training", "-p", "c=0.5", "--no-cache", "--json")
    assert {s["status"] for s in json.loads(forced.stdout)["steps"]} == {"succeeded"}

    shown = invoke_cli("pipeline", "show", run_id[:8])
    assert shown.exit_code == 0
    assert "succeeded data" in shown.stdout and "succeeded register" in shown.stdout
    assert "lin@1" in shown.stdout
    assert f"tracking runs: train: {record['steps'][1]['tracking_runs'][0][:8]}" in shown.stdout
    logs = invoke_cli("pipeline", "logs", run_id, "data", "--json")
    assert json.loads(logs.stdout)["stdout"] == "rows ready\n"
    runs = json.loads(invoke_cli("pipeline", "runs", "--json").stdout)
    assert [r["id"] for r in runs][-1] == run_id and len(runs) == 3
    newest = json.loads(invoke_cli("pipeline", "show", "training", "--json").stdout)
    assert newest["id"] == runs[0]["id"]  # a pipeline's name stands for its newest run
    listed = json.loads(invoke_cli("pipeline", "list", "--json").stdout)
    assert [p["name"] for p in listed] == ["training"]

    bad = invoke_cli("pipeline", "run", target, "-p", "c=high")
    assert bad.exit_code == 1
    assert "parameter 'c' must be float; got 'high'" in bad.stderr
    missing = invoke_cli("pipeline", "logs", run_id, "nope")
    assert missing.exit_code == 1 and "has no step 'nope'" in missing.stderr


def test_resume_from_the_cli_and_a_failed_run_exits_1(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    module = write_module(
        """
        @dl.step
        def boom() -> int:
            raise KeyError("missing column")

        @dl.pipeline
        def broken():
            boom()
        """
    )
    ran = invoke_cli("pipeline", "run", f"{module.__name__}:broken", "--json")
    assert ran.exit_code == 1
    record = json.loads(ran.stdout)
    assert record["status"] == "failed"
    assert "KeyError: 'missing column'" in record["error"]
    resumed = invoke_cli("pipeline", "resume", record["id"], "--json")
    assert resumed.exit_code == 1
    assert json.loads(resumed.stdout)["steps"][0]["attempt"] == 2


VERSION_PARAMETER = """
@dl.step
def load(data: dl.DatasetVersion) -> pd.DataFrame:
    return dl.get_dataset(data.ref).to_pandas()

@dl.step
def train(frame: pd.DataFrame) -> int:
    from sklearn.linear_model import LogisticRegression
    with dl.start_run(experiment="param-lineage"):  # no dl.log_input: the pipeline records it
        model = LogisticRegression().fit(frame[["distance"]], frame.delayed)
        logged = dl.log_model(model, name="flight-delays", register=True)
    return logged.version.version

@dl.step
def check(data: dl.DatasetVersion, version: int) -> None:
    with dl.start_run(experiment="param-lineage-check"):
        dl.log_input(data, role="holdout")  # the step's own record of it is kept

@dl.pipeline
def training(data: dl.DatasetVersion = "flights-train"):
    check(data, train(load(data)))
"""


def test_a_dataset_parameter_is_an_input_of_the_runs_its_step_made(
    sqlite_workspace: dl.Workspace, write_module: WriteModule
) -> None:
    """The model's lineage reaches the dataset, so a monitor finds its default reference."""
    import numpy as np
    import pandas as pd
    from tests.serving.conftest import T0, make_record

    from driftloop.monitoring import MonitorSpec
    from driftloop.serving import PredictionLogWriter

    frame = pd.DataFrame({"distance": np.linspace(100.0, 2000.0, 80)})
    frame["delayed"] = (frame.distance > 900).astype(int)
    dl.log_dataset("flights-train", frame.iloc[:10])
    trained_on = dl.log_dataset("flights-train", frame)
    module = write_module(VERSION_PARAMETER)
    run = sqlite_workspace.pipelines.run(module.training)
    assert run.status is dl.StepStatus.SUCCEEDED, run.error
    roles = {}
    for step in ("train", "check"):  # train reads it through load; check is given it
        [run_id] = run.step(step).tracking_runs
        inputs = sqlite_workspace.tracking.get_run(run_id).inputs
        assert [(i.kind, i.ref) for i in inputs] == [("dataset", trained_on.ref)]
        roles[step] = inputs[0].role
    assert roles == {"train": "data", "check": "holdout"}
    graph = dl.lineage("models:/flight-delays/1")
    assert f"dataset:{trained_on.ref}" in {n.id for n in graph.nodes}

    writer = PredictionLogWriter(sqlite_workspace.blobs, sqlite_workspace.store).start()
    record = make_record(inputs={"distance": [150.0, 1500.0]})  # flight-delays v1
    assert writer.submit(record)
    writer.close(10)
    sqlite_workspace.serving.deploy("flights", "flight-delays@1")
    monitoring = sqlite_workspace.monitoring
    monitoring.define("daily", MonitorSpec("flights", window="1d"))
    [window] = monitoring.run_due(T0 + timedelta(days=1))  # the record's day
    assert window.summary["reference"] == trained_on.ref
