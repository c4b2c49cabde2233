"""Every flavor logs, registers and loads back with identical predictions, without training code."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import driftloop as dl
from driftloop.registry._requirements import distribution_name


@pytest.mark.parametrize("flavor", ["sklearn", "xgboost", "lightgbm"])
def test_model_round_trips_with_identical_predictions(
    workspace: dl.Workspace,
    churn: tuple[pd.DataFrame, pd.Series],
    flavor: str,
    trainers: dict[str, Any],
) -> None:
    frame, label = churn
    if flavor != "sklearn":
        frame = frame[["age", "tenure"]]
    model = trainers[flavor](frame, label)
    with dl.start_run(experiment="churn"):
        logged = dl.log_model(
            model, name="churn", input_example=frame.head(5), training_data=frame, register=True
        )
    assert logged.flavor == flavor and logged.version is not None and logged.version.version == 1
    assert logged.version.status == dl.ModelStatus.READY
    loaded = dl.load_model("models:/churn/1")
    expected = model.predict(frame)
    for data in (frame, pl.from_pandas(frame), pa.Table.from_pandas(frame)):
        np.testing.assert_array_equal(loaded.predict(data), expected)
    np.testing.assert_allclose(loaded.predict_proba(frame), model.predict_proba(frame), rtol=1e-6)
    # The installed distribution: `xgboost` or `xgboost-cpu` (the dev extra) for xgboost.
    assert distribution_name(flavor) in logged.requirements
    if flavor != "sklearn":  # the thread count chosen for predicting survives the native file
        assert loaded.native.n_jobs == 1


def test_numpy_input_is_matched_to_columns(
    workspace: dl.Workspace, numeric: tuple[pd.DataFrame, pd.Series], trainers: dict[str, Any]
) -> None:
    frame, label = numeric
    model = trainers["xgboost"](frame, label)
    with dl.start_run():
        logged = dl.log_model(model, input_example=frame.head(3))
    loaded = dl.load_model(logged.uri)
    np.testing.assert_array_equal(loaded.predict(frame.to_numpy()), model.predict(frame))


def test_sklearn_estimator_fitted_on_numpy_gets_a_tensor_signature(workspace: dl.Workspace) -> None:
    from sklearn.linear_model import LinearRegression

    x = np.arange(20, dtype=float).reshape(10, 2)
    model = LinearRegression().fit(x, x.sum(axis=1))
    with dl.start_run():
        logged = dl.log_model(model, input_example=x[:2])
    assert logged.signature is not None and logged.signature.input_tensor is not None
    np.testing.assert_allclose(dl.load_model(logged.uri).predict(x), model.predict(x))


def test_onnx_model_flavor_runs_in_onnx_runtime(
    workspace: dl.Workspace, numeric: tuple[pd.DataFrame, pd.Series]
) -> None:
    from skl2onnx import to_onnx
    from sklearn.linear_model import LinearRegression

    frame, label = numeric
    native = LinearRegression().fit(frame, label)
    proto = to_onnx(native, frame.to_numpy(np.float32)[:1])
    with dl.start_run():
        logged = dl.log_model(proto, name="onnx-lr", input_example=frame.head(3), register=True)
    assert logged.flavor == "onnx"
    loaded = dl.load_model("models:/onnx-lr/latest")
    np.testing.assert_allclose(loaded.predict(frame), native.predict(frame), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_pyfunc_model_with_code_files_loads_without_the_caller_having_them(
    workspace: dl.Workspace, tmp_path: Path
) -> None:
    # A unique package name: this process must never have imported it before loading.
    name = f"rules_{uuid.uuid4().hex[:8]}"
    package = tmp_path / "src" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "class Doubler:\n    def predict(self, data):\n        return data['x'].to_numpy() * 2\n"
    )
    script = (
        "import sys, driftloop as dl, pandas as pd\n"
        f"sys.path.insert(0, {str(tmp_path / 'src')!r})\n"
        f"from {name} import Doubler\n"
        "with dl.start_run():\n"
        "    dl.log_model(Doubler(), name='doubler', input_example=pd.DataFrame({'x': [1.0]}),\n"
        f"                 code_paths=[{str(package)!r}], register=True)\n"
    )
    env = {
        **os.environ,
        "DRIFTLOOP_HOME": str(workspace.root),
        "DRIFTLOOP_DB_URL": workspace.settings.db_url,
    }
    subprocess.run(
        [sys.executable, "-c", script], check=True, cwd=workspace.root, env=env, capture_output=True
    )
    assert name not in sys.modules
    loaded = dl.load_model("models:/doubler/1")
    assert loaded.flavor == "pyfunc"
    np.testing.assert_array_equal(loaded.predict(pd.DataFrame({"x": [1.0, 2.5]})), [2.0, 5.0])
    assert f"code/{name}/__init__.py" in workspace.registry.manifest("models:/doubler/1").files


def test_object_without_predict_is_refused(workspace: dl.Workspace) -> None:
    with dl.start_run(), pytest.raises(dl.InvalidInputError, match="no predict method"):
        dl.log_model(object())


def test_register_true_needs_a_name(workspace: dl.Workspace) -> None:
    with dl.start_run(), pytest.raises(dl.InvalidInputError, match="needs a model name"):
        dl.log_model(object(), register=True)
