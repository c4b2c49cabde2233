"""Online lookup results as a pandas DataFrame, fast for the tiny frames a request makes.

``pd.DataFrame(dict_of_lists)`` costs ~0.3 ms for one row of ten features, three times
the lookup itself: it builds a new column index and infers every column's type through
general machinery. Here plain numeric and boolean columns become NumPy arrays directly,
the column index is reused, and the frame is assembled without re-validation; any other
column (text, dates, None only, mixed) goes through pandas' own inference, so the result
equals ``pd.DataFrame(columns)`` in values, dtypes and labels.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

_INT64 = (-(2**63), 2**63 - 1)


def to_frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    """The DataFrame ``pd.DataFrame(columns)`` would make, built in a fraction of the time."""
    count = len(next(iter(columns.values()), []))
    assemble = getattr(pd.DataFrame, "_from_arrays", None)
    if count == 0 or assemble is None:  # empty frames: pandas' own rules; no fast path
        return pd.DataFrame(columns)
    lists = list(columns.values())
    arrays = [_FLOAT if _all_floats(values) else _array(values) for values in lists]
    floats = [i for i, a in enumerate(arrays) if a is _FLOAT]
    if floats:  # one conversion for all the float columns (usually every feature)
        block = np.array([lists[i] for i in floats], dtype=np.float64)
        for row, i in enumerate(floats):
            arrays[i] = block[row]
    frame: pd.DataFrame = assemble(
        arrays, columns=_labels(tuple(columns)), index=pd.RangeIndex(count), verify_integrity=False
    )
    return frame


_FLOAT = object()  # marks the float columns until their one shared conversion


def _all_floats(values: list[Any]) -> bool:
    return all(type(v) is float for v in values)


@functools.lru_cache(maxsize=256)
def _labels(names: tuple[str, ...]) -> pd.Index:
    # An Index is immutable, so frames can share one; building it is a third of the cost.
    return pd.Index(list(names))


def _array(values: list[Any]) -> Any:
    kinds = {type(v) for v in values}
    if kinds == {bool}:
        return np.array(values, dtype=np.bool_)
    if kinds == {int} and _INT64[0] <= min(values) and max(values) <= _INT64[1]:
        return np.array(values, dtype=np.int64)
    if kinds <= {float, int, type(None)} and kinds & {float, int} and type(None) in kinds:
        # What pandas does with numbers and None: float64, None as NaN.
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return pd.Series(values).array
