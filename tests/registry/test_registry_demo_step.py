"""The demo's registry step: register the best run's model, crown it, predict in a new process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

import driftloop as dl
from driftloop._demo._context import DemoContext
from driftloop._demo._registry_step import MODEL_NAME, register_champion
from driftloop._demo._training import CATEGORICAL, FEATURES, LABEL, NUMERIC, make_model


def _flights(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.normal(size=rows) for c in NUMERIC})
    frame["carrier"] = rng.choice(["UA", "DL", "B6"], rows)
    frame["origin"] = rng.choice(["EWR", "JFK", "LGA"], rows)
    frame[LABEL] = (frame["hour"] + rng.normal(size=rows) > 0).astype(int)
    return frame


@pytest.mark.slow
def test_registry_step_crowns_the_best_run_and_predicts_identically_in_a_new_process(
    workspace: dl.Workspace,
) -> None:
    assert set(CATEGORICAL) <= set(FEATURES)
    ctx = DemoContext(workspace=workspace, console=Console(quiet=True))
    train, ctx.summer = _flights(300, 0), _flights(20, 1)
    model = make_model({"max_depth": 3, "learning_rate": 0.1, "max_iter": 10}, 13)
    model.fit(train[FEATURES], train[LABEL])
    with dl.start_run(experiment="flight-delays") as run:
        dl.log_model(model, input_example=train[FEATURES].head(5), training_data=train[FEATURES])
    ctx.models[run.id], ctx.best_run_id = model, run.id
    register_champion(ctx)
    summary = ctx.summary["registry"]
    assert summary["identical_predictions"] is True
    assert dl.get_model_version(f"models:/{MODEL_NAME}@champion").run_id == run.id
    expected = model.predict_proba(ctx.summer[FEATURES].head(5))[:, 1]
    np.testing.assert_array_equal(summary["fresh_process_predictions"], expected)
