"""Choosing the online store by URL, and the key and value encoding shared by all backends."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from driftloop.errors import InvalidInputError
from driftloop.features._protocols import OnlineStore


def open_online_store(url: str) -> OnlineStore:
    """The online store for ``url``: ``sqlite:///path`` (default) or ``redis://host:port/db``."""
    if url.startswith("sqlite:///"):
        from driftloop.features._sqlite import SqliteOnlineStore

        return SqliteOnlineStore(url)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from driftloop.features._redis import RedisOnlineStore

        return RedisOnlineStore(url)
    raise InvalidInputError(
        f"online store URL {url!r} has an unknown scheme; use sqlite:///path/online.db "
        "or redis://host:6379/0 (DRIFTLOOP_ONLINE_URL)"
    )


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# The online row under which a materialization records its join keys' DuckDB types; real
# keys are JSON arrays ("[...]"), so this one can never collide with an entity.
KEY_TYPES = "__driftloop_key_types__"
# Floats up to 2**53 hold whole numbers exactly; larger ones keep their float spelling.
_EXACT = 2.0**53
_FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE", "REAL"})
INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)


def key_part(value: Any) -> Any:
    """One join key value in canonical form: a whole-number float (``32.0``, what pandas
    makes of an int column with a NaN) becomes the int ``32``, as :func:`key_sql` writes it."""
    value = _plain(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT:
        return int(value)
    return value


def is_missing_number(value: Any) -> bool:
    """NaN or an infinity: no entity can have it as a key."""
    return isinstance(value, float) and not math.isfinite(value)


def encode_key(values: Sequence[Any]) -> str:
    """JSON of the canonical join key values; :func:`key_sql` writes the same text."""
    return json.dumps([key_part(v) for v in values], separators=(",", ":"), ensure_ascii=False)


def key_sql(keys: Sequence[tuple[str, str]]) -> str:
    """DuckDB SQL writing the key text :func:`encode_key` makes, for quoted ``(column, type)``.

    Each value is encoded on its own, so keys of mixed types need no common list type, and
    whole-number floats are written as ints. A key with a NULL, NaN or infinite part is
    NULL: no lookup can match it (as no offline join does), so it is not written.
    """
    parts = []
    for column, dtype in keys:
        encoded = f"to_json({column})"
        if dtype.upper() in _FLOAT_TYPES:
            encoded = (
                f"CASE WHEN NOT isfinite({column}) THEN NULL "
                f"WHEN {column} = trunc({column}) AND abs({column}) < {_EXACT!r} "
                f"THEN to_json({column}::BIGINT) ELSE {encoded} END"
            )
        parts.append(encoded)
    return "'[' || " + " || ',' || ".join(parts) + " || ']'"
