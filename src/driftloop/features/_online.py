"""Choosing the online store by URL, and the key and value encoding shared by all backends."""

from __future__ import annotations

import json
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


def encode_key(values: Sequence[Any]) -> str:
    """JSON of the join key values; DuckDB's ``to_json([...])`` writes the same text."""
    return json.dumps([_plain(v) for v in values], separators=(",", ":"), ensure_ascii=False)
