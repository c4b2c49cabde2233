"""Scoring one chunk of rows with a loaded model: the pure part of batch scoring.

Shared by the local loop and the Ray tasks, so both write the same columns: the
chunk's own columns, then ``prediction`` and, for classifiers, ``proba.<class>``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from driftloop.errors import InvalidInputError
from driftloop.registry._package import LoadedModel

PREDICTION = "prediction"
PROBA_PREFIX = "proba."


def _as_array(values: Any) -> pa.Array:
    array = np.asarray(values)
    if array.ndim > 1 and array.shape[1] == 1:
        array = array[:, 0]
    if array.dtype == object:
        return pa.array(array.tolist())
    return pa.array(array)


def _classes(model: LoadedModel) -> list[Any] | None:
    classes = getattr(model.native, "classes_", None)
    if classes is None or not hasattr(model.native, "predict_proba"):
        return None
    return list(np.asarray(classes).tolist())


def output_columns(model: LoadedModel) -> list[str]:
    """The columns scoring adds: ``prediction``, then ``proba.<class>`` per class."""
    classes = _classes(model) or []
    return [PREDICTION, *(f"{PROBA_PREFIX}{c}" for c in classes)]


def check_no_clash(model: LoadedModel, columns: list[str]) -> None:
    clash = sorted(set(output_columns(model)) & set(columns))
    if clash:
        raise InvalidInputError(
            f"the input already has column(s) {clash}, which scoring adds; rename them first"
        )


def score_chunk(model: LoadedModel, chunk: pa.Table) -> pa.Table:
    """``chunk`` with the model's predictions (and class probabilities) appended."""
    columns = model.signature.columns if model.signature and model.signature.inputs else None
    features = chunk.select(columns) if columns else chunk
    scored = chunk.append_column(PREDICTION, _as_array(model.predict(features)))
    classes = _classes(model)
    if classes is not None:
        proba = np.asarray(model.predict_proba(features), dtype=np.float64)
        for j, label in enumerate(classes):
            scored = scored.append_column(f"{PROBA_PREFIX}{label}", pa.array(proba[:, j]))
    return scored
