"""The demo's loop report scores each model version only on months after its training data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.console import Console

import driftloop as dl
from driftloop._demo._context import DemoContext
from driftloop._demo._loop_report import write_loop_report
from driftloop._demo._loop_step import MODEL, _auc_by_month, trained_through
from driftloop._demo._training import FEATURES, LABEL, NUMERIC, make_model


def _flights(months: list[int], rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.normal(size=rows) for c in NUMERIC})
    frame["month"] = rng.choice(months, rows)
    frame["carrier"] = rng.choice(["UA", "DL", "B6"], rows)
    frame["origin"] = rng.choice(["EWR", "JFK", "LGA"], rows)
    frame[LABEL] = (frame["hour"] + rng.normal(size=rows) > 0).astype(int)
    return frame


def _register(train: pd.DataFrame) -> int:
    model = make_model({"max_depth": 3, "learning_rate": 0.1, "max_iter": 10}, 13)
    trained_on = dl.log_dataset("flights-train", train)  # as the demo's steps do: then the
    evaluated_on = dl.log_dataset("flights-summer", _flights([6, 7, 8], 50, 9))  # run's roles
    with dl.start_run(experiment="flight-delays"):
        dl.log_input(trained_on, role="train")
        dl.log_input(evaluated_on, role="evaluation")
        model.fit(train[FEATURES], train[LABEL])
        logged = dl.log_model(model, MODEL, input_example=train[FEATURES].head(5), register=True)
    assert logged.version is not None
    return logged.version.version


def test_each_version_is_scored_on_the_months_after_its_training_data(
    sqlite_workspace: dl.Workspace,
) -> None:
    first = _register(_flights([1, 2, 3, 4], 400, 0))
    retrained = _register(_flights([1, 2, 3, 4, 5, 6, 7], 600, 1))  # the summer's labels too
    assert (
        trained_through(sqlite_workspace, first),
        trained_through(sqlite_workspace, retrained),
    ) == (4, 7)
    ctx = DemoContext(workspace=sqlite_workspace, console=Console(quiet=True))
    aucs = _auc_by_month(ctx, _flights([6, 7, 8], 900, 2), [first, retrained])
    assert sorted(aucs[f"version {first}"]) == [6, 7, 8]
    assert sorted(aucs[f"version {retrained}"]) == [8]  # June and July were in its training set
    latest = _register(_flights([1, 2, 3, 4, 5, 6, 7, 8], 600, 3))
    assert _auc_by_month(ctx, _flights([6, 7, 8], 300, 4), [latest]) == {f"version {latest}": {}}
    page = write_loop_report(sqlite_workspace, "flight-delays", aucs | {f"version {latest}": {}})
    assert f"Not shown: version {latest}. Each was trained on flights of every month" in (
        page.read_text()
    )
