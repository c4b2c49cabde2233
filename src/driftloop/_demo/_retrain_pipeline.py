"""The pipeline the demo's loop retrains with: the training months plus the latest
labeled traffic, fit, registered as a challenger (the loop decides whether it serves).

``corrupt_labels`` makes the deliberately bad challenger of the demo: the same pipeline
trained on shuffled labels, which the gate must reject.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import driftloop as dl
from driftloop._demo._training import FEATURES, LABEL, PARAM_GRID, make_model
from driftloop.automation._evaluation import recent_labeled

MODEL_NAME = "flight-delays"
SEED = 13


# Not cached: what it reads, the prediction log, changes while its code and parameters do not.
@dl.step(cache=False)
def labeled_traffic(endpoint: str, rows: int, holdout_rows: int) -> pd.DataFrame:
    """Up to ``rows`` labeled flights answered by ``endpoint``, except the latest
    ``holdout_rows``: the gate judges the challenger on those, so it must not train on them."""
    found = recent_labeled(dl.get_workspace().predictions, endpoint, rows + holdout_rows)
    if found is None:
        return pd.DataFrame(columns=[*FEATURES, LABEL])
    frame, labels = found  # newest first
    frame = frame[FEATURES].iloc[holdout_rows:].copy()
    frame[LABEL] = labels[holdout_rows:].astype("int8")
    print(f"{len(frame):,} labeled flights from {endpoint!r} ({holdout_rows:,} newest kept out)")
    return frame


@dl.step
def base_training(dataset: str) -> pd.DataFrame:
    return dl.get_dataset(dataset).to_pandas()[[*FEATURES, LABEL]]


@dl.step
def fit(base: pd.DataFrame, recent: pd.DataFrame, corrupt_labels: bool) -> dict[str, Any]:
    frame = pd.concat([base, recent], ignore_index=True)
    labels = frame[LABEL].to_numpy()
    if corrupt_labels:
        labels = np.random.default_rng(SEED).permutation(labels)
    params = _champion_params()
    # The training set is a dataset version the run reads: the monitor's reference for
    # the new model, and its lineage.
    trained_on = dl.log_dataset(
        "flights-retrain", frame.assign(**{LABEL: labels}), description="loop retraining set"
    )
    with dl.start_run(experiment="flight-delays-retrain", name="loop-retrain"):
        dl.log_input(trained_on, role="train")
        dl.log_params({**params, "recent_rows": len(recent), "corrupt_labels": corrupt_labels})
        model = make_model(params, SEED).fit(frame[FEATURES], labels)
        logged = dl.log_model(
            model,
            MODEL_NAME,
            input_example=frame[FEATURES].head(5),
            training_data=frame[FEATURES],
            register=True,
        )
    version = logged.version
    assert version is not None  # register=True
    print(f"registered {version.ref} from {len(frame):,} flights")
    return {"version": version.version, "rows": len(frame)}


def _champion_params() -> dict[str, Any]:
    """The champion's own hyperparameters: the retraining changes the data, not the recipe."""
    registry = dl.get_workspace().registry
    run = registry.run_links(registry.resolve(f"{MODEL_NAME}@champion"))
    chosen = {}
    for key, default in PARAM_GRID[1].items():
        text = run.params.get(key)
        chosen[key] = default if text is None else (None if text == "None" else type_of(text))
    return chosen


def type_of(text: str) -> int | float:
    return float(text) if "." in text else int(text)


@dl.pipeline(name="flight-delays-retrain")
def retrain(
    endpoint: str = "flights",
    recent_rows: int = 100_000,
    holdout_rows: int = 2_000,
    dataset: str = "flights-train@latest",
    corrupt_labels: bool = False,
) -> None:
    recent = labeled_traffic(endpoint, recent_rows, holdout_rows)
    fit(base_training(dataset), recent, corrupt_labels)
