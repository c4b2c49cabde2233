"""One way to turn driftloop's records into strict JSON (CLI ``--json``, the REST API).

The output parses with any strict JSON parser (no bare ``NaN``/``Infinity`` tokens).
Conventions, stable because scripts depend on them:

- records (dataclasses) become objects of their fields, recursively;
- enums become their value; paths their string;
- datetimes become ISO 8601 in UTC (naive datetimes are taken as UTC, as everywhere
  in driftloop); dates and times their ISO form; timedeltas their seconds;
- NumPy scalars and arrays become numbers and lists; pandas DataFrames a list of row
  objects, Series a list; Arrow tables and arrays a list of rows or values;
- non-finite floats become the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``
  (as MLflow's REST API writes them), so no value is lost; ``None`` is ``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from pathlib import PurePath
from typing import Any

__all__ = ["dumps", "from_jsonable_float", "to_jsonable"]

_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def from_jsonable_float(value: float | int | str | None) -> float | None:
    """The float behind a value written by :func:`to_jsonable` (``"NaN"`` -> ``nan``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return _NON_FINITE[value] if value in _NON_FINITE else float(value)
    return float(value)


def _datetime(value: datetime) -> str:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat()


def _scalar(value: Any) -> Any:
    """Plain Python scalars and the standard library's value types, or ``NotImplemented``."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, datetime):
        return None if value != value else _datetime(value)  # pandas' NaT is a datetime
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _float(value.total_seconds())
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return NotImplemented


def _library(value: Any) -> Any:
    """NumPy, pandas and Arrow values (imported only when such a value is met)."""
    module = type(value).__module__.split(".")[0]
    if module == "numpy":
        return to_jsonable(value.tolist())
    if module == "pandas":
        import pandas as pd

        if isinstance(value, pd.DataFrame):
            return [to_jsonable(row) for row in value.to_dict(orient="records")]
        if isinstance(value, pd.Series | pd.Index):
            return [to_jsonable(v) for v in value.tolist()]
        if isinstance(value, pd.Timestamp):
            return None if pd.isna(value) else _datetime(value.to_pydatetime())
        if value is pd.NaT or value is pd.NA:
            return None
    if module == "pyarrow":
        return to_jsonable(value.to_pylist() if hasattr(value, "to_pylist") else value.as_py())
    return NotImplemented


def _key(key: Any) -> str:
    plain = _scalar(key)
    return str(key if plain is NotImplemented or plain is None else plain)


def to_jsonable(value: Any) -> Any:
    """``value`` as plain dicts, lists, strings, finite numbers, booleans and ``None``.

    Any other object becomes its ``str()``, as the CLI has always printed it.
    """
    plain = _scalar(value)
    if plain is not NotImplemented:
        return plain
    # Mappings first: a record that is a mapping (a Profile) prints as its entries.
    if isinstance(value, Mapping):
        return {_key(k): to_jsonable(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [to_jsonable(v) for v in items]
    converted = _library(value)
    if converted is not NotImplemented:
        return converted
    return str(value)


def dumps(value: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    """Strict JSON text of ``value`` (see the module docstring for the conventions)."""
    return json.dumps(
        to_jsonable(value), indent=indent, sort_keys=sort_keys, allow_nan=False, ensure_ascii=False
    )
