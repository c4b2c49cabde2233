"""search_runs: a filter turned into SQL, results as one pandas DataFrame or as records.

The records (:func:`search_run_records`) need no pandas, so `driftloop runs list`
starts without importing it, and tell a key a run never logged (``None``) from a
logged NaN, which a float column cannot.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, aliased

from driftloop.errors import InvalidInputError
from driftloop.store._lifecycle import ViewType, check_view_type, visible
from driftloop.store._tracking_rows import (
    ExperimentRow,
    LatestMetricRow,
    ParamRow,
    RunRow,
    TagRow,
)
from driftloop.tracking._filter import ATTRIBUTES, parse_field, parse_filter

if TYPE_CHECKING:
    import pandas as pd

BASE_COLUMNS = ["run_id", "run_name", "experiment", "status", "user", "start_time", "end_time"]
# Shown when deleted runs may be among the results: who deleted each, and when.
DELETED_COLUMNS = ["deleted_at", "deleted_by"]


def _order_clauses(order_by: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """ORDER BY terms and the outer joins they need (a metric or param to sort by)."""
    joins: list[Any] = []
    terms: list[Any] = []
    for i, spec in enumerate(order_by):
        parts = spec.strip().rsplit(None, 1)
        direction = "asc"
        if len(parts) == 2 and parts[1].lower() in ("asc", "desc"):
            spec, direction = parts[0], parts[1].lower()
        target = parse_field(spec.strip())
        if target.kind == "attribute":
            column: Any = ATTRIBUTES[target.name]
        else:
            row: Any = {"metric": LatestMetricRow, "param": ParamRow, "tag": TagRow}[target.kind]
            alias = aliased(row, name=f"order_{i}")
            joins.append((alias, and_(alias.run_id == RunRow.id, alias.key == target.name)))
            column = alias.value
        # Runs without the value sort last either way, as users expect.
        terms.append(column.is_(None))
        terms.append(column.desc() if direction == "desc" else column.asc())
    return joins, terms


# Parsing a filter and building the statement costs about as much as running it on
# 1,000 runs; the result depends only on the arguments, and statements are immutable.
@lru_cache(maxsize=128)
def _run_query(
    experiments: tuple[str, ...] | None,
    filter_string: str | None,
    order_by: tuple[str, ...],
    view_type: ViewType,
) -> Any:  # a Select over the run columns; its generic type is long
    query = select(
        RunRow.id,
        RunRow.name,
        ExperimentRow.name,
        RunRow.status,
        RunRow.user,
        RunRow.start_time,
        RunRow.end_time,
        *((RunRow.deleted_at, RunRow.deleted_by) if view_type is not ViewType.ACTIVE_ONLY else ()),
    ).join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
    query = query.where(*visible(RunRow, view_type))
    if experiments:
        query = query.where(ExperimentRow.name.in_(list(experiments)))
    clause = parse_filter(filter_string)
    if clause is not None:
        query = query.where(clause)
    joins, terms = _order_clauses(order_by)
    for alias, on in joins:
        query = query.outerjoin(alias, on)
    return query.order_by(*terms, RunRow.start_time.desc(), RunRow.id)


# Statements built once so SQLAlchemy's compiled cache serves every search; the run
# ids are one expanding parameter (SQLite allows 32,766 variables; larger result sets
# are fetched through the filter subquery instead).
_RUN_IDS: Any = bindparam("run_ids", expanding=True)
_MAX_ID_PARAMS = 900
_KEY_VALUE_TABLES: tuple[tuple[str, Any], ...] = (
    ("params", ParamRow),
    ("metrics", LatestMetricRow),
    ("tags", TagRow),
)


def search_runs(
    session: Session,
    experiments: Sequence[str] | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] = (),
    max_results: int | None = None,
    view_type: ViewType | str = ViewType.ACTIVE_ONLY,
) -> pd.DataFrame:
    """One row per matching run: base columns, then ``params.*``, ``metrics.*``, ``tags.*``.

    Deleted runs (and the runs of deleted experiments) only with ``view_type``, who
    deleted each and when in two more columns.
    """
    import numpy as np
    import pandas as pd

    columns = _search_columns(session, experiments, filter_string, order_by, max_results, view_type)
    if not columns["run_id"]:
        return pd.DataFrame(columns=list(columns))
    return pd.DataFrame(
        {  # metrics as float64, NaN where a run lacks the metric; the rest as objects
            name: np.array([np.nan if v is None else v for v in values], dtype=float)
            if name.startswith("metrics.")
            else values
            for name, values in columns.items()
        }
    )


def search_run_records(
    session: Session,
    experiments: Sequence[str] | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] = (),
    max_results: int | None = None,
    view_type: ViewType | str = ViewType.ACTIVE_ONLY,
) -> list[dict[str, Any]]:
    """:func:`search_runs` as one dict per run, every dict with every column; a param,
    metric or tag a run never logged is ``None``."""
    columns = _search_columns(session, experiments, filter_string, order_by, max_results, view_type)
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _search_columns(
    session: Session,
    experiments: Sequence[str] | None,
    filter_string: str | None,
    order_by: Sequence[str],
    max_results: int | None,
    view_type: ViewType | str,
) -> dict[str, list[Any]]:
    # Column name -> one value per run, in the query's order; None where a run lacks a key.
    if max_results is not None and max_results < 1:
        raise InvalidInputError(f"max_results must be a positive number, got {max_results}")
    view = check_view_type(view_type)
    names = BASE_COLUMNS + (DELETED_COLUMNS if view is not ViewType.ACTIVE_ONLY else [])
    query = _run_query(
        tuple(experiments) if experiments else None, filter_string, tuple(order_by), view
    )
    if max_results is not None:
        query = query.limit(max_results)
    # Core execution: the ORM result machinery costs more than the SQL at this size.
    conn = session.connection()
    base = conn.execute(query).all()
    if not base:
        return {name: [] for name in names}
    run_ids = [row[0] for row in base]
    columns: dict[str, list[Any]] = dict(
        zip(names, map(list, zip(*base, strict=True)), strict=True)
    )
    index = {run_id: i for i, run_id in enumerate(run_ids)}
    if len(run_ids) <= _MAX_ID_PARAMS:
        ids: Any = _RUN_IDS
        parameters: dict[str, Any] = {"run_ids": run_ids}
    else:
        # the ids the base query returned: keep its order when a LIMIT picks them
        id_query = query.with_only_columns(RunRow.id)
        if max_results is None:
            id_query = id_query.order_by(None)
        ids, parameters = id_query.scalar_subquery(), {}
    for prefix, row_type in _KEY_VALUE_TABLES:
        values: dict[str, list[Any]] = {}
        statement = select(row_type.run_id, row_type.key, row_type.value).where(
            row_type.run_id.in_(ids)
        )
        for run_id, key, value in conn.execute(statement, parameters).all():
            column = values.get(key)
            if column is None:
                column = values[key] = [None] * len(run_ids)
            # SQLite hands back a stored NaN as the text 'NaN' (see _rows._SQLITE_NAN)
            column[index[run_id]] = float(value) if prefix == "metrics" else value
        columns.update((f"{prefix}.{key}", values[key]) for key in sorted(values))
    return columns
