"""Online lookups: entity rows in, feature values out (nulls for unknown or expired values)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from driftloop.errors import InvalidInputError
from driftloop.features._models import FeatureViewVersion
from driftloop.features._online import (
    INTEGER_TYPES,
    KEY_TYPES,
    encode_key,
    is_missing_number,
    key_part,
)
from driftloop.features._protocols import OnlineStore

Selected = tuple[FeatureViewVersion, list[str], list[str]]


def entity_columns(entity_rows: Any) -> dict[str, list[Any]]:
    """Entity rows (list of dicts, dict of lists, pandas or Polars) as a dict of columns."""
    if isinstance(entity_rows, dict):
        columns = {
            k: list(v) if isinstance(v, list | tuple) else [v] for k, v in entity_rows.items()
        }
    elif isinstance(entity_rows, list | tuple):
        names = list(dict.fromkeys(k for row in entity_rows for k in row))
        columns = {n: [row.get(n) for row in entity_rows] for n in names}
    elif hasattr(entity_rows, "to_dict"):
        frame = entity_rows.to_pandas() if hasattr(entity_rows, "to_pandas") else entity_rows
        columns = {str(k): list(v) for k, v in frame.to_dict(orient="list").items()}
    else:
        raise InvalidInputError(
            f"entity rows of type {type(entity_rows).__name__} are not supported; "
            "pass a list of dicts, a dict of lists, or a DataFrame"
        )
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise InvalidInputError(f"entity columns have different lengths {sorted(lengths)}")
    return columns


def lookup(
    online: OnlineStore, selected: Sequence[Selected], entity_rows: Any, now: datetime
) -> dict[str, list[Any]]:
    """Entity columns plus one column per output feature, in entity row order."""
    columns = entity_columns(entity_rows)
    count = len(next(iter(columns.values()), []))
    result = dict(columns)
    stamp = now.timestamp()
    for version, features, outputs in selected:
        view = version.view
        keys = checked_keys(online, version, columns, count)
        values = _read(online, view.name, keys)
        oldest = None if view.ttl is None else stamp - view.ttl.total_seconds()
        decoded = [_decode(v, oldest) for v in values]
        for feature, output in zip(features, outputs, strict=True):
            result[output] = [None if d is None else d.get(feature) for d in decoded]
    return result


def checked_keys(
    online: OnlineStore, version: FeatureViewVersion, columns: dict[str, list[Any]], count: int
) -> list[str | None]:
    """The entity rows' key texts for ``version``'s view; InvalidInputError for a missing
    join key column, a NaN key, or a fraction where the stored keys are integers."""
    view = version.view
    missing = [k for k in view.join_keys if k not in columns]
    if missing:
        raise InvalidInputError(
            f"entity rows lack join key(s) {missing} of feature view {view.name!r}; "
            f"they have {list(columns)}"
        )
    return _encoded_keys(online, view.name, view.join_keys, columns, count)


def _read(online: OnlineStore, view: str, keys: list[str | None]) -> list[Any]:
    # A row with a missing (None) key matches no entity, as in the offline join.
    present = [k for k in keys if k is not None]
    found = iter(online.read(view, present) if present else [])
    return [None if k is None else next(found) for k in keys]


def _encoded_keys(
    online: OnlineStore,
    view: str,
    join_keys: tuple[str, ...],
    columns: dict[str, list[Any]],
    count: int,
) -> list[str | None]:
    """Canonical key texts, one per entity row (None where a key is None, which matches
    nothing). NaN keys and fractions for integer keys are refused: no stored entity can
    match them, and a silent null would hide the mistake."""
    stored_types: dict[str, str] | None = None
    keys: list[str | None] = []
    for row in range(count):
        parts = [key_part(columns[k][row]) for k in join_keys]
        if any(p is None for p in parts):
            keys.append(None)
            continue
        for name, value in zip(join_keys, parts, strict=True):
            if not isinstance(value, float):
                continue  # whole-number floats are ints by now: the common path stops here
            if is_missing_number(value):
                raise InvalidInputError(
                    f"entity row {row} has join key {name!r} = {value} for feature view "
                    f"{view!r}; drop the rows whose keys are missing (e.g. df.dropna())"
                )
            if stored_types is None:
                stored_types = _key_types(online, view)
            if stored_types.get(name) in INTEGER_TYPES:
                raise InvalidInputError(
                    f"entity row {row} has join key {name!r} = {value!r} for feature view "
                    f"{view!r}, whose {name!r} keys are {stored_types[name]}; "
                    "pass whole numbers"
                )
        keys.append(encode_key(parts))
    return keys


def _key_types(online: OnlineStore, view: str) -> dict[str, str]:
    found = online.read(view, [KEY_TYPES])[0]
    types: dict[str, str] = {} if found is None else json.loads(found[1])
    return types


def _decode(value: tuple[float | None, str] | None, oldest: float | None) -> dict[str, Any] | None:
    if value is None:
        return None
    event_time, payload = value
    if oldest is not None and event_time is not None and event_time < oldest:
        return None  # past its TTL: treated as missing, like offline
    decoded: dict[str, Any] = json.loads(payload)
    return decoded
