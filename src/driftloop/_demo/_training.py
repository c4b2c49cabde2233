"""The demo's model: will a flight arrive more than 15 minutes late?"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

NUMERIC = [
    "month",
    "hour",
    "day_of_week",
    "distance",
    "temp",
    "dewp",
    "humid",
    "wind_speed",
    "precip",
    "pressure",
    "visib",
    "plane_year",
    "seats",
]
CATEGORICAL = ["carrier", "origin"]
FEATURES = NUMERIC + CATEGORICAL
LABEL = "late"

# Three settings a person would try first: shallow and slow, the default, deep and fast.
PARAM_GRID: list[dict[str, Any]] = [
    {"max_depth": 3, "learning_rate": 0.05, "max_iter": 100},
    {"max_depth": 6, "learning_rate": 0.1, "max_iter": 150},
    {"max_depth": None, "learning_rate": 0.2, "max_iter": 200},
]


def make_model(params: dict[str, Any], seed: int) -> Pipeline:
    encode = ColumnTransformer(
        [
            (
                "categories",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
                ),
                CATEGORICAL,
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    model = HistGradientBoostingClassifier(
        **params, categorical_features=[0, 1], random_state=seed, early_stopping=False
    )
    return Pipeline([("encode", encode), ("model", model)])


def split_train_valid(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    mask = rng.random(len(frame)) < 0.8
    return frame[mask], frame[~mask]


def auc(model: Pipeline, frame: pd.DataFrame) -> float:
    return float(roc_auc_score(frame[LABEL], model.predict_proba(frame[FEATURES])[:, 1]))
