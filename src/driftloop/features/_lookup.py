"""Online lookups: entity rows in, feature values out (nulls for unknown or expired values)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from driftloop.errors import InvalidInputError
from driftloop.features._models import FeatureViewVersion
from driftloop.features._online import encode_key
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
        missing = [k for k in view.join_keys if k not in columns]
        if missing:
            raise InvalidInputError(
                f"entity rows lack join key(s) {missing} of feature view {view.name!r}; "
                f"they have {list(columns)}"
            )
        keys = [encode_key([columns[k][i] for k in view.join_keys]) for i in range(count)]
        values = online.read(view.name, keys) if keys else []
        oldest = None if view.ttl is None else stamp - view.ttl.total_seconds()
        decoded = [_decode(v, oldest) for v in values]
        for feature, output in zip(features, outputs, strict=True):
            result[output] = [None if d is None else d.get(feature) for d in decoded]
    return result


def _decode(value: tuple[float | None, str] | None, oldest: float | None) -> dict[str, Any] | None:
    if value is None:
        return None
    event_time, payload = value
    if oldest is not None and event_time is not None and event_time < oldest:
        return None  # past its TTL: treated as missing, like offline
    decoded: dict[str, Any] = json.loads(payload)
    return decoded
