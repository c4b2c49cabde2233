"""search_runs: a filter turned into SQL, results as one pandas DataFrame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from driftloop.errors import InvalidInputError
from driftloop.store._tracking_rows import (
    ExperimentRow,
    LatestMetricRow,
    ParamRow,
    RunRow,
    TagRow,
)
from driftloop.tracking._filter import ATTRIBUTES, parse_field, parse_filter

BASE_COLUMNS = ["run_id", "run_name", "experiment", "status", "user", "start_time", "end_time"]


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


def _run_query(
    experiments: Sequence[str] | None, filter_string: str | None, order_by: Sequence[str]
) -> Any:  # a Select over the run columns; its generic type is long
    query = select(
        RunRow.id,
        RunRow.name,
        ExperimentRow.name,
        RunRow.status,
        RunRow.user,
        RunRow.start_time,
        RunRow.end_time,
    ).join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
    if experiments:
        query = query.where(ExperimentRow.name.in_(list(experiments)))
    clause = parse_filter(filter_string)
    if clause is not None:
        query = query.where(clause)
    joins, terms = _order_clauses(order_by)
    for alias, on in joins:
        query = query.outerjoin(alias, on)
    return query.order_by(*terms, RunRow.start_time.desc(), RunRow.id)


def search_runs(
    session: Session,
    experiments: Sequence[str] | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] = (),
    max_results: int | None = None,
) -> pd.DataFrame:
    """One row per matching run: base columns, then ``params.*``, ``metrics.*``, ``tags.*``."""
    if max_results is not None and max_results < 1:
        raise InvalidInputError(f"max_results must be a positive number, got {max_results}")
    query = _run_query(experiments, filter_string, order_by)
    if max_results is not None:
        query = query.limit(max_results)
    base = session.execute(query).all()
    if not base:
        return pd.DataFrame(columns=BASE_COLUMNS)
    run_ids = [row[0] for row in base]
    index = {run_id: i for i, run_id in enumerate(run_ids)}
    columns: dict[str, list[Any]] = {
        name: [row[j] for row in base] for j, name in enumerate(BASE_COLUMNS)
    }
    ids_subquery = (
        select(RunRow.id).where(RunRow.id.in_(run_ids))
        if len(run_ids) <= 900
        else (query.with_only_columns(RunRow.id).order_by(None).subquery().select())
    )
    for prefix, row_type in (("params", ParamRow), ("metrics", LatestMetricRow), ("tags", TagRow)):
        values: dict[str, list[Any]] = {}
        for run_id, key, value in session.execute(
            select(row_type.run_id, row_type.key, row_type.value).where(
                row_type.run_id.in_(ids_subquery)
            )
        ):
            column = values.setdefault(f"{prefix}.{key}", [None] * len(run_ids))
            column[index[run_id]] = value
        columns.update(sorted(values.items()))
    frame = pd.DataFrame(columns)
    for name in frame.columns:
        if name.startswith("metrics."):
            frame[name] = frame[name].astype("float64")
    return frame
