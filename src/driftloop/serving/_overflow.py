"""Values that overflow the type a model computes in: found and named, never passed on.

A finite 1e308 is a valid float64, but float32 (the usual ONNX input type, and what
scikit-learn's trees convert to) holds at most about 3.4e38: cast, it becomes infinity.
ONNX Runtime then answers for a value nobody sent, and a tree fails with "Input X contains
infinity". Both are the input's fault, so the caller gets a 400 naming the cell instead.
Pure functions over NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from driftloop.errors import InvalidInputError

_FLOAT32 = np.dtype(np.float32)


def first_overflow(values: np.ndarray, dtype: np.dtype[Any]) -> int | None:
    """The first row whose value is finite but out of ``dtype``'s range, or None."""
    if values.dtype.kind not in "iuf" or dtype.kind not in "iuf" or values.size == 0:
        return None
    if dtype.kind == "f":
        if values.dtype.kind == "f" and values.dtype.itemsize <= dtype.itemsize:
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            bad = np.isinf(values.astype(dtype)) & np.isfinite(values)
    else:
        info = np.iinfo(dtype)
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(values) & ((values < info.min) | (values > info.max))
    return int(np.argmax(bad)) if bad.any() else None


def overflow_error(where: str, value: Any, dtype: np.dtype[Any], whose: str) -> InvalidInputError:
    """The error for ``value`` at ``where`` (``column 'age' row 3``): ``dtype`` cannot hold it."""
    if dtype.kind == "f":
        limit = f"at most {np.finfo(dtype).max:.8g} in magnitude"
    else:
        info = np.iinfo(dtype)
        limit = f"{info.min} to {info.max}"
    return InvalidInputError(
        f"{where}: {value!r} overflows {dtype.name}, {whose}: it holds {limit}; "
        "send a value within it"
    )


def cast_checked(
    values: np.ndarray, dtype: np.dtype[Any], where: str, whose: str, unit: str = "row"
) -> np.ndarray:
    """``values`` as ``dtype``, or an error naming the first value (``{where} {unit} N``)
    that overflows it."""
    index = first_overflow(values, dtype)
    if index is not None:
        raise overflow_error(f"{where} {unit} {index}", values[index].item(), dtype, whose)
    with np.errstate(over="ignore", invalid="ignore"):
        return values.astype(dtype, copy=False)


def float32_overflow(columns: Mapping[str, np.ndarray], whose: str) -> InvalidInputError | None:
    """The error for the first value of ``columns`` that float32 cannot hold, if any."""
    for name, values in columns.items():
        row = first_overflow(np.asarray(values), _FLOAT32)
        if row is not None:
            return overflow_error(f"column '{name}' row {row}", values[row].item(), _FLOAT32, whose)
    return None
