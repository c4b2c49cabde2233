"""Feature types as users write them (pandas, NumPy, Arrow, Feast, SQL), mapped to one type.

The internal type is a DuckDB type name (``DOUBLE``, ``BIGINT``, ``VARCHAR``, ...): the
offline store casts to it, and it is what a view's spec stores, so a view written with
``"float64"`` and one written with ``"DOUBLE"`` are the same definition. A name that is
not in the table is refused when the ``Feature`` is built, never when a join runs.
"""

from __future__ import annotations

import re

from driftloop.errors import InvalidInputError

_ALIASES: dict[str, tuple[str, ...]] = {
    "DOUBLE": (
        "double",
        "float64",
        "float8",
        "double precision",
        "real8",
        "numeric",
        "decimal",
        "number",
    ),
    "FLOAT": ("float", "float32", "float4", "real", "halffloat", "float16"),
    "BIGINT": ("bigint", "int64", "int8", "long", "integer64", "uint32"),
    "INTEGER": ("integer", "int", "int32", "int4", "uint16", "signed"),
    "SMALLINT": ("smallint", "int16", "int2", "short", "uint8"),
    "TINYINT": ("tinyint", "int1"),
    "BOOLEAN": ("boolean", "bool", "bool_", "logical"),
    "VARCHAR": (
        "varchar",
        "string",
        "str",
        "text",
        "large_string",
        "large_utf8",
        "utf8",
        "char",
        "bpchar",
        "string[python]",
        "string[pyarrow]",
    ),
    "TIMESTAMPTZ": (
        "timestamptz",
        "timestamp with time zone",
        "timestamp",
        "datetime",
        "datetime64",
        "unixtimestamp",
    ),
    "DATE": ("date", "date32", "date64", "date32[day]", "date64[ms]"),
}

_LOOKUP = {alias: canonical for canonical, names in _ALIASES.items() for alias in names}
# Parametrised timestamp spellings: pandas datetime64[ns] / datetime64[ns, UTC], Arrow
# timestamp[us, tz=UTC], SQL TIMESTAMP_NS, TIMESTAMP(6). Naive ones are taken as UTC.
_TIMESTAMP = re.compile(
    r"^(datetime64|timestamp)(\[(s|ms|us|ns)(,\s*(tz=)?[\w/+:-]+)?\]|_(s|ms|ns)|\(\d\))?$"
    r"|^datetime64\[(s|ms|us|ns),\s*utc\]$"
)


def accepted_types() -> list[str]:
    """The accepted type names (each case-insensitive), for error messages and docs."""
    names = sorted(_LOOKUP)
    return [*names, "datetime64[ns|us|ms|s(, tz)]", "timestamp[ns|us|ms|s(, tz=...)]"]


def normalize_dtype(dtype: object, feature: str = "") -> str:
    """The internal (DuckDB) type for ``dtype`` as a user wrote it, or InvalidInputError.

    Example::

        normalize_dtype("float64") == "DOUBLE"; normalize_dtype("Int64") == "BIGINT"
    """
    text = _text(dtype)
    key = re.sub(r"\s+", " ", text.strip().lower())
    found = _LOOKUP.get(key)
    if found is not None:
        return found
    if _TIMESTAMP.match(key):
        return "TIMESTAMPTZ"
    where = f"feature {feature!r}: " if feature else ""
    raise InvalidInputError(
        f"{where}type {text!r} is not a known feature type; use one of: "
        + ", ".join(accepted_types())
        + " (case-insensitive; pandas, NumPy, Arrow, Feast and SQL names)"
    )


def _text(dtype: object) -> str:
    if isinstance(dtype, str):
        return dtype
    # numpy dtypes, pandas extension dtypes and Arrow types print their usual names.
    name = getattr(dtype, "name", None)
    if isinstance(name, str):
        return name
    if isinstance(dtype, type):
        return dtype.__name__
    return str(dtype)
