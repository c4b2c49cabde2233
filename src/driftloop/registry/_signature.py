"""Model signatures: what a model takes and returns, inferred from data and enforced on input.

Pure functions over pandas, Polars, Arrow and NumPy data; no I/O. Every input is
turned into a pandas DataFrame (or a NumPy array for tensor signatures) in the
column order and dtypes the model was trained with, or refused with a message
naming each offending column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from driftloop.errors import InvalidInputError

MAX_CATEGORIES = 100


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One input column: its type and, when known, the range or categories seen in training."""

    name: str
    type: str
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """An array: element type and shape, ``-1`` where any size goes (the batch axis)."""

    type: str
    shape: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ModelSignature:
    """Columns (or one tensor) in, one tensor out."""

    inputs: tuple[ColumnSpec, ...] = ()
    input_tensor: TensorSpec | None = None
    output: TensorSpec | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [c.name for c in self.inputs]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ModelSignature | None:
        if not data:
            return None
        inputs = tuple(
            ColumnSpec(
                **{**c, "categories": tuple(c["categories"]) if c.get("categories") else None}
            )
            for c in data.get("inputs", ())
        )

        def tensor(value: dict[str, Any] | None) -> TensorSpec | None:
            return TensorSpec(value["type"], tuple(value["shape"])) if value else None

        return cls(
            inputs,
            tensor(data.get("input_tensor")),
            tensor(data.get("output")),
            data.get("extra", {}),
        )


# conversion --------------------------------------------------------------------------


def to_pandas(data: Any) -> pd.DataFrame | np.ndarray:
    """A pandas DataFrame for tabular input (pandas, Polars, Arrow, dict), or a NumPy array."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, np.ndarray):
        return data
    module = type(data).__module__.split(".")[0]
    if module in ("polars", "pyarrow"):
        frame: pd.DataFrame = data.to_pandas()
        return frame
    if isinstance(data, dict):
        return pd.DataFrame(data)
    if isinstance(data, list):
        return np.asarray(data)
    raise InvalidInputError(
        f"cannot predict on a {type(data).__module__}.{type(data).__name__}; pass a pandas or "
        "Polars DataFrame, an Arrow table or a NumPy array"
    )


def type_name(series: pd.Series) -> str:
    """The signature type of a column: float64, int64, bool, string, category, datetime64[ns]..."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        return str(dtype).lower().removesuffix("[pyarrow]")
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return str(dtype)
    if pd.api.types.is_string_dtype(dtype) or dtype is np.dtype(object) or dtype == np.dtype("O"):
        values = series.dropna()
        if _all_instances(values, str):
            return "string"
        if _all_instances(values, bytes):
            return "binary"
        return "object"
    return str(dtype)


def _all_instances(values: pd.Series, kind: type) -> bool:
    return all(isinstance(v, kind) for v in values)


def _array_type(array: np.ndarray) -> str:
    if array.dtype.kind in "USO":
        return "string"
    return str(array.dtype)


# inference ---------------------------------------------------------------------------


def infer_signature(example: Any, training_data: Any = None, output: Any = None) -> ModelSignature:
    """Columns and types from ``example``; ranges and categories from ``training_data`` if given."""
    frame = to_pandas(example)
    out = _infer_tensor(output) if output is not None else None
    if isinstance(frame, np.ndarray):
        shape = (-1, *frame.shape[1:]) if frame.ndim > 1 else (-1,)
        return ModelSignature(input_tensor=TensorSpec(_array_type(frame), shape), output=out)
    stats = to_pandas(training_data) if training_data is not None else frame
    if isinstance(stats, np.ndarray):
        stats = pd.DataFrame(stats, columns=frame.columns)
    inputs = tuple(_column_spec(name, frame[name], stats.get(name)) for name in frame.columns)
    return ModelSignature(inputs=inputs, output=out)


def _column_spec(name: Any, column: pd.Series, stats: pd.Series | None) -> ColumnSpec:
    kind = type_name(column)
    stats = column if stats is None else stats
    nullable = bool(stats.isna().any() or column.isna().any())
    values = stats.dropna()
    if kind in ("bool", "string", "category"):
        distinct = sorted({str(v) for v in values.unique()})
        categories = tuple(distinct) if len(distinct) <= MAX_CATEGORIES else None
        return ColumnSpec(str(name), kind, nullable, categories=categories)
    if pd.api.types.is_numeric_dtype(values.dtype) and len(values):
        return ColumnSpec(str(name), kind, nullable, float(values.min()), float(values.max()))
    return ColumnSpec(str(name), kind, nullable)


def _infer_tensor(output: Any) -> TensorSpec:
    if isinstance(output, pd.DataFrame | pd.Series):
        output = output.to_numpy()
    array = np.asarray(output)
    return TensorSpec(_array_type(array), (-1, *array.shape[1:]))


# enforcement -------------------------------------------------------------------------


def enforce_signature(
    signature: ModelSignature | None, data: Any, where: str
) -> pd.DataFrame | np.ndarray:
    """Return ``data`` as the model expects it, or raise naming every column that does not fit."""
    converted = to_pandas(data)
    if signature is None:
        return converted
    if signature.input_tensor is not None:
        return _enforce_tensor(signature.input_tensor, converted, where)
    if not signature.inputs:
        return converted
    if isinstance(converted, np.ndarray):
        converted = _frame_from_array(signature, converted, where)
    return _enforce_columns(signature, converted, where)


# Types whose pandas dtype is the signature type: no values need to be looked at.
_PLAIN_TYPES = {
    name: np.dtype(name)
    for name in "float64 float32 int64 int32 int16 int8 uint64 uint32 uint16 uint8 bool".split()  # noqa: SIM905
}


def _column_dtypes(frame: pd.DataFrame) -> list[Any]:
    # DataFrame.dtypes builds a Series (~50 us); the block manager answers in ~2 us.
    # It is internal to pandas, so fall back to the public route if it ever moves.
    try:
        return list(frame._mgr.get_dtypes())
    except AttributeError:  # pragma: no cover - other pandas internals
        return frame.dtypes.tolist()


def _enforce_columns(signature: ModelSignature, frame: pd.DataFrame, where: str) -> pd.DataFrame:
    # Per-row serving calls this on every request: plain numeric columns are checked from
    # the dtypes alone and the frame is only copied when a column is cast or reordered.
    # .tolist() is C-speed; iterating a pandas Index in Python costs ~0.5 us a column.
    columns = frame.columns.tolist()
    dtypes = dict(zip(columns, _column_dtypes(frame), strict=True))
    problems: list[str] = []
    casts: dict[str, pd.Series] = {}
    for spec in signature.inputs:
        if spec.name not in dtypes:
            problems.append(f"missing column '{spec.name}'")
            continue
        plain = _PLAIN_TYPES.get(spec.type)
        if plain is not None and dtypes[spec.name] == plain:
            continue
        column = frame[spec.name]
        coerced, problem = _coerce(spec, column)
        if problem:
            problems.append(problem)
        elif coerced is not column:
            casts[spec.name] = coerced
    if problems:
        raise InvalidInputError(
            f"input does not match the signature of {where}: " + "; ".join(problems)
        )
    names = signature.columns
    result = frame if columns == names else frame[names]
    return result.assign(**casts) if casts else result


def _frame_from_array(signature: ModelSignature, array: np.ndarray, where: str) -> pd.DataFrame:
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.shape[1] != len(signature.inputs):
        raise InvalidInputError(
            f"input does not match the signature of {where}: expected {len(signature.inputs)} "
            f"columns ({', '.join(signature.columns)}), got an array of shape {array.shape}"
        )
    return pd.DataFrame(array, columns=signature.columns)


def _coerce(spec: ColumnSpec, column: pd.Series) -> tuple[pd.Series, str | None]:
    got = type_name(column)
    expected = spec.type
    mismatch = f"column '{spec.name}': expected {expected}, got {got}"
    if got == expected:
        if expected == "category" and spec.categories:
            return column.astype(pd.CategoricalDtype(list(spec.categories))), None
        return column, None
    numeric = ("int", "uint", "float")
    if expected.startswith("float") and got.startswith(numeric):
        return column.astype(np.dtype(expected)), None
    if expected.startswith(numeric[:2]) and got.startswith(numeric[:2]):
        return column.astype(np.dtype(expected)), None
    if (
        expected == "string"
        and got in ("category", "object")
        and _all_instances(column.dropna(), str)
    ):
        return column.astype(object), None
    if expected == "category" and got == "string":
        categories = list(spec.categories) if spec.categories else None
        return column.astype(pd.CategoricalDtype(categories)), None
    if got == "object" and column.isna().all():  # an all-missing column carries no type
        if expected == "string":
            return column.astype(object), None
        return column.astype(np.dtype(expected)), None
    return column, mismatch


def _enforce_tensor(spec: TensorSpec, data: pd.DataFrame | np.ndarray, where: str) -> np.ndarray:
    array = data.to_numpy() if isinstance(data, pd.DataFrame) else np.asarray(data)
    got = _array_type(array)
    if got != spec.type:
        castable = spec.type.startswith(("float", "int")) and array.dtype.kind in "iuf"
        if not castable or (spec.type.startswith("int") and array.dtype.kind == "f"):
            raise InvalidInputError(
                f"input does not match the signature of {where}: "
                f"input: expected {spec.type}, got {got}"
            )
        array = array.astype(spec.type)
    trailing = spec.shape[1:]
    if array.ndim == len(spec.shape) - 1 and array.shape == trailing:
        array = array.reshape(1, *trailing)  # one row given without the batch axis
    if array.ndim != len(spec.shape) or any(
        want not in (-1, have) for want, have in zip(spec.shape[1:], array.shape[1:], strict=True)
    ):
        raise InvalidInputError(
            f"input does not match the signature of {where}: expected shape {spec.shape}, "
            f"got {array.shape}"
        )
    return array
