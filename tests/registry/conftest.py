"""Small real models and data for the registry tests (trained in milliseconds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest


def churn_frame(rows: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 12, rows).round(1),
            "tenure": rng.integers(0, 10, rows),
            "plan": rng.choice(["basic", "pro"], rows),
        }
    )
    label = ((frame["age"] > 40) ^ (frame["tenure"] > 6)).astype(int)
    return frame, label


@pytest.fixture
def churn() -> tuple[pd.DataFrame, pd.Series]:
    return churn_frame()


@pytest.fixture
def numeric(churn: tuple[pd.DataFrame, pd.Series]) -> tuple[pd.DataFrame, pd.Series]:
    frame, label = churn
    return frame[["age", "tenure"]].astype("float64"), label


def sklearn_pipeline(frame: pd.DataFrame, label: pd.Series) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    encode = ColumnTransformer(
        [
            ("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
            ("num", StandardScaler(), ["age", "tenure"]),
        ]
    )
    return Pipeline([("encode", encode), ("model", LogisticRegression())]).fit(frame, label)


def xgboost_model(frame: pd.DataFrame, label: pd.Series) -> Any:
    import xgboost

    return xgboost.XGBClassifier(n_estimators=8, max_depth=3, n_jobs=1).fit(frame, label)


def lightgbm_model(frame: pd.DataFrame, label: pd.Series) -> Any:
    import lightgbm

    return lightgbm.LGBMClassifier(
        n_estimators=8, num_leaves=7, min_child_samples=5, verbose=-1, n_jobs=1
    ).fit(frame, label)


Trainer = Callable[[pd.DataFrame, pd.Series], Any]


@pytest.fixture
def trainers() -> dict[str, Trainer]:
    """Fit a small real model of each flavor: ``trainers["xgboost"](frame, label)``."""
    return {"sklearn": sklearn_pipeline, "xgboost": xgboost_model, "lightgbm": lightgbm_model}
