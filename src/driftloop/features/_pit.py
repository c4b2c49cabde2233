"""Point-in-time correct joins as DuckDB SQL: pure query building, no I/O.

For each entity row and its event time, every feature takes the value of the
latest source row with the same join keys and ``feature time <= event time``,
and only if ``feature time >= event time - ttl``; otherwise NULL. A value from
after the event can never be chosen: DuckDB's ASOF JOIN only looks backwards, and
times come as TIMESTAMPTZ or, where a side has nanoseconds, TIMESTAMPTZ_NS (see
``_offline.utc_cast_type``), which DuckDB compares with each other at nanoseconds.
Rows of one entity sharing a timestamp are decided by the view's
``created_timestamp`` (latest created wins); static views (no timestamp) join on
the keys alone. ``_pit_reference.py`` states the same rule row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from driftloop._duckdb import quote_identifier as quote

ROW_ID = "__dl_row"


@dataclass(frozen=True, slots=True)
class PitView:
    """One view's part of a join: where its rows are and which columns to take.

    ``relation`` is a table, view or parenthesised subquery the connection can read;
    ``outputs`` are the output column names of ``features`` (same order).
    """

    name: str
    relation: str
    join_keys: tuple[str, ...]
    features: tuple[str, ...]
    outputs: tuple[str, ...]
    timestamp: str | None = None
    ttl: timedelta | None = None
    created_timestamp: str | None = None
    dtypes: tuple[str, ...] | None = None


def _view_rows(view: PitView, alias: str) -> str:
    columns = [*view.join_keys, *view.features]
    select = ", ".join(quote(c) for c in columns)
    if view.timestamp is not None:
        select += f", {quote(view.timestamp)} AS __dl_ts"
    keys = ", ".join(quote(k) for k in view.join_keys)
    if view.timestamp is None:
        # Static: one row per key. Duplicated keys would multiply entity rows.
        return (
            f"(SELECT {select} FROM {view.relation} "
            f"QUALIFY row_number() OVER (PARTITION BY {keys}) = 1) {alias}"
        )
    if view.created_timestamp is None:
        return f"(SELECT {select} FROM {view.relation}) {alias}"
    return (
        f"(SELECT {select} FROM {view.relation} QUALIFY row_number() OVER "
        f"(PARTITION BY {keys}, {quote(view.timestamp)} ORDER BY {quote(view.created_timestamp)} "
        f"DESC NULLS LAST) = 1) {alias}"
    )


def _join_clause(view: PitView, alias: str, event_ts: str) -> str:
    on = " AND ".join(f"e.{quote(k)} = {alias}.{quote(k)}" for k in view.join_keys)
    rows = _view_rows(view, alias)
    if view.timestamp is None:
        return f"LEFT JOIN {rows} ON {on}"
    return f"ASOF LEFT JOIN {rows} ON {on} AND e.{quote(event_ts)} >= {alias}.__dl_ts"


def _select_items(view: PitView, alias: str, event_ts: str) -> list[str]:
    items = []
    dtypes = view.dtypes or (None,) * len(view.features)
    for feature, output, dtype in zip(view.features, view.outputs, dtypes, strict=True):
        value = f"{alias}.{quote(feature)}"
        if dtype:
            value = f"CAST({value} AS {dtype})"
        if view.ttl is not None:
            micros = int(view.ttl / timedelta(microseconds=1))
            value = (
                f"CASE WHEN {alias}.__dl_ts >= e.{quote(event_ts)} - to_microseconds({micros}) "
                f"THEN {value} END"
            )
        items.append(f"{value} AS {quote(output)}")
    return items


def build_pit_query(
    entity_relation: str,
    entity_columns: Sequence[str],
    event_timestamp: str,
    views: Sequence[PitView],
    *,
    keep_order: bool = True,
    row_id: str | None = None,
) -> str:
    """SQL joining ``views`` onto the entity rows, point in time correct.

    Args:
        entity_relation: table or subquery with the entity rows.
        entity_columns: its columns, kept in the result in this order.
        event_timestamp: the entity column holding each row's event time.
        views: the views to join, each with its output columns.
        keep_order: return rows in the order of ``entity_relation`` (costs a sort).
        row_id: an entity column numbering the rows; it is returned last and no sort is
            done, so the caller can restore the order more cheaply than SQL can.
    """
    keep_order = keep_order and row_id is None
    numbering = f", row_number() OVER () AS {ROW_ID}" if keep_order else ""
    items = [f"e.{quote(c)}" for c in entity_columns if c != row_id]
    joins = []
    for index, view in enumerate(views):
        alias = f"v{index}"
        items.extend(_select_items(view, alias, event_timestamp))
        joins.append(_join_clause(view, alias, event_timestamp))
    if row_id is not None:
        items.append(f"e.{quote(row_id)}")
    order = f" ORDER BY e.{ROW_ID}" if keep_order else ""
    return (
        f"SELECT {', '.join(items)} FROM (SELECT *{numbering} FROM {entity_relation}) e "
        + " ".join(joins)
        + order
    )


def build_latest_query(view: PitView, start_sql: str | None, end_sql: str | None) -> str:
    """SQL for the latest row per entity with ``start <= timestamp <= end`` (for materializing)."""
    keys = ", ".join(quote(k) for k in view.join_keys)
    cols = ", ".join(quote(c) for c in (*view.join_keys, *view.features))
    if view.timestamp is None:
        return (
            f"SELECT {cols}, NULL::TIMESTAMPTZ AS __dl_ts FROM {view.relation} "
            f"QUALIFY row_number() OVER (PARTITION BY {keys}) = 1"
        )
    ts = quote(view.timestamp)
    where = [f"{ts} IS NOT NULL"]
    if start_sql:
        where.append(f"{ts} >= {start_sql}")
    if end_sql:
        where.append(f"{ts} <= {end_sql}")
    order = f"{ts} DESC"
    if view.created_timestamp:
        order += f", {quote(view.created_timestamp)} DESC NULLS LAST"
    return (
        f"SELECT {cols}, {ts}::TIMESTAMPTZ AS __dl_ts FROM {view.relation} "
        f"WHERE {' AND '.join(where)} "
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1"
    )
