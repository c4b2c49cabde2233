"""ONNX export at log time: kept only when it matches the native predictions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import driftloop as dl
from driftloop.errors import DriftloopWarning
from driftloop.registry import ONNX_ATOL, ONNX_RTOL


@pytest.mark.parametrize("flavor", ["sklearn", "xgboost", "lightgbm"])
def test_onnx_form_matches_native_within_tolerance(
    sqlite_workspace: dl.Workspace,
    churn: tuple[pd.DataFrame, pd.Series],
    flavor: str,
    trainers: dict[str, Any],
) -> None:
    frame, label = churn
    if flavor != "sklearn":
        frame = frame[["age", "tenure"]].astype("float64")
    model = trainers[flavor](frame, label)
    with dl.start_run():
        logged = dl.log_model(
            model, name="m", input_example=frame.head(20), register=True, onnx=True
        )
    assert logged.onnx is not None and logged.onnx.file == "model.onnx", logged.onnx
    assert logged.onnx.max_abs_diff is not None and logged.onnx.max_abs_diff <= ONNX_ATOL
    assert "onnxruntime" in logged.requirements
    exported = dl.load_model("models:/m/1", onnx=True)
    native = dl.load_model("models:/m/1")
    np.testing.assert_allclose(
        exported.predict_proba(frame), native.predict_proba(frame), rtol=ONNX_RTOL, atol=ONNX_ATOL
    )
    assert (exported.predict(frame) == native.predict(frame)).mean() > 0.98


def test_unconvertible_model_is_stored_without_onnx_and_the_user_is_told_why(
    sqlite_workspace: dl.Workspace, churn: tuple[pd.DataFrame, pd.Series]
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    frame, label = churn
    frame = frame[["age", "tenure"]].astype("float64")
    model = make_pipeline(FunctionTransformer(lambda x: x * 2), LogisticRegression()).fit(
        frame, label
    )
    with (
        dl.start_run(),
        pytest.warns(
            DriftloopWarning, match="ONNX form of this model was not stored: conversion failed"
        ),
    ):
        logged = dl.log_model(
            model, name="m", input_example=frame.head(5), register=True, onnx=True
        )
    assert logged.onnx is not None and logged.onnx.file is None
    with pytest.raises(dl.InvalidInputError, match="has no ONNX form"):
        dl.load_model("models:/m/1", onnx=True)
    np.testing.assert_array_equal(dl.load_model("models:/m/1").predict(frame), model.predict(frame))
    assert "Not stored: conversion failed" in dl.model_card("m/1")


def test_onnx_export_is_only_for_tree_and_sklearn_flavors(sqlite_workspace: dl.Workspace) -> None:
    class Rule:
        def predict(self, data: Any) -> Any:
            return data

    with dl.start_run(), pytest.raises(dl.InvalidInputError, match="onnx=True is for scikit-learn"):
        dl.log_model(Rule(), input_example=pd.DataFrame({"x": [1.0]}), onnx=True)
