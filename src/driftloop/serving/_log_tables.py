"""Arrow tables of a request's inputs and outputs, as the prediction log stores them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from driftloop.serving._runtime import ModelOutput


def input_table(columns: Mapping[str, np.ndarray]) -> pa.Table:
    return pa.table({name: _array(values) for name, values in columns.items()})


def output_table(output: ModelOutput, classes: list[Any] | None) -> pa.Table:
    data: dict[str, pa.Array] = {"prediction": _array(output.prediction)}
    if output.proba is not None and classes is not None:
        for j, label in enumerate(classes):
            data[f"proba.{label}"] = pa.array(output.proba[:, j], pa.float64())
    return pa.table(data)


def _array(values: np.ndarray) -> pa.Array:
    if values.dtype == object:
        return pa.array(values.tolist())
    return pa.array(values)
