"""Reading and writing tracking rows: the SQL behind the tracking service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Float, String, bindparam, select
from sqlalchemy.orm import Session

from driftloop.store._sql import insert_for
from driftloop.store._tracking_rows import (
    EnvironmentRow,
    ExperimentRow,
    LatestMetricRow,
    MetricRow,
    ParamRow,
    RunArtifactRow,
    RunInputRow,
    RunRow,
    TagRow,
)
from driftloop.tracking._models import (
    Experiment,
    Run,
    RunArtifact,
    RunInput,
    RunStatus,
)
from driftloop.tracking._writer import MetricTuple


def _history_insert_sql(dialect: Any) -> str:
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    table = MetricRow.__tablename__
    return (
        f"INSERT INTO {table} (run_id, key, value, step, timestamp_ms) "
        f"VALUES ({', '.join([mark] * 5)})"
    )


def insert_metrics(conn: Connection, batch: Sequence[MetricTuple]) -> None:
    """Append values to the history and move the latest value per (run, key) forward."""
    # The history is the hot path (100,000s of rows): plain tuples straight to the
    # driver's executemany skip SQLAlchemy's per-row parameter processing (3x faster).
    if conn.dialect.name == "sqlite":
        batch = [_sqlite_value(item) for item in batch]
    conn.exec_driver_sql(_history_insert_sql(conn.dialect), list(batch))
    latest: dict[tuple[str, str], MetricTuple] = {}
    for item in batch:
        current = latest.get((item[0], item[1]))
        if current is None or (item[3], item[4]) >= (current[3], current[4]):
            latest[(item[0], item[1])] = item
    # On SQLite the value goes to the driver untyped (a Float would coerce 'NaN' to NaN,
    # which SQLite stores as NULL); PostgreSQL takes the float as it is.
    value_type = String() if conn.dialect.name == "sqlite" else Float()
    stmt = insert_for(conn.dialect.name)(LatestMetricRow).values(
        run_id=bindparam("run_id"),
        key=bindparam("key"),
        value=bindparam("raw_value", type_=value_type),
        step=bindparam("step"),
        timestamp_ms=bindparam("timestamp_ms"),
    )
    table = LatestMetricRow.__table__
    newer = (stmt.excluded.step > table.c.step) | (
        (stmt.excluded.step == table.c.step) & (stmt.excluded.timestamp_ms >= table.c.timestamp_ms)
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["run_id", "key"],
        set_={
            "step": stmt.excluded.step,
            "value": stmt.excluded.value,
            "timestamp_ms": stmt.excluded.timestamp_ms,
        },
        where=newer,
    )
    conn.execute(
        stmt,
        [
            {"run_id": r, "key": k, "raw_value": v, "step": s, "timestamp_ms": t}
            for r, k, v, s, t in latest.values()
        ],
    )


# SQLite keeps +inf and -inf as REAL but turns a NaN into NULL; the text 'NaN' survives in
# a REAL column (it is not numeric, so no affinity conversion), reads back through
# float('NaN'), and compares above every number, as NaN does on PostgreSQL.
_SQLITE_NAN = "NaN"


def _sqlite_value(item: MetricTuple) -> Any:
    value = item[2]
    if value != value:  # NaN is the one float unequal to itself
        return (item[0], item[1], _SQLITE_NAN, item[3], item[4])
    return item


def to_experiment(row: ExperimentRow) -> Experiment:
    return Experiment(
        row.id, row.name, row.description, row.created_at, row.deleted_at, row.deleted_by
    )


def load_runs(session: Session, run_ids: Sequence[str]) -> list[Run]:
    """Full :class:`Run` records, in the order of ``run_ids`` (missing ids skipped)."""
    rows = {
        row.id: (row, name)
        for row, name in session.execute(
            select(RunRow, ExperimentRow.name)
            .join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
            .where(RunRow.id.in_(run_ids))
        ).all()
    }
    if not rows:
        return []
    ids = list(rows)
    params = _grouped(session, ParamRow, ids)
    tags = _grouped(session, TagRow, ids)
    metrics = _grouped(session, LatestMetricRow, ids)
    inputs: dict[str, list[RunInput]] = {}
    for i in session.scalars(select(RunInputRow).where(RunInputRow.run_id.in_(ids))):
        inputs.setdefault(i.run_id, []).append(RunInput(i.kind, i.ref, i.role))
    artifacts: dict[str, list[RunArtifact]] = {}
    for a in session.scalars(
        select(RunArtifactRow).where(RunArtifactRow.run_id.in_(ids)).order_by(RunArtifactRow.path)
    ):
        artifacts.setdefault(a.run_id, []).append(RunArtifact(a.path, a.digest, a.size))
    digests = {r.environment_digest for r, _ in rows.values() if r.environment_digest}
    environments = {
        e.digest: e.data
        for e in session.scalars(select(EnvironmentRow).where(EnvironmentRow.digest.in_(digests)))
    }
    return [
        Run(
            id=row.id,
            name=row.name,
            experiment=experiment,
            status=RunStatus(row.status),
            user=row.user,
            start_time=row.start_time,
            end_time=row.end_time,
            parent_run_id=row.parent_run_id,
            params=params.get(row.id, {}),
            metrics={k: float(v) for k, v in metrics.get(row.id, {}).items()},
            tags=tags.get(row.id, {}),
            git_commit=row.git_commit,
            git_dirty=row.git_dirty,
            entry_point=row.entry_point,
            seed=row.seed,
            environment=environments.get(row.environment_digest or "", {}),
            inputs=tuple(inputs.get(row.id, ())),
            artifacts=tuple(artifacts.get(row.id, ())),
            deleted_at=row.deleted_at,
            deleted_by=row.deleted_by,
        )
        for run_id in run_ids
        if run_id in rows
        for row, experiment in [rows[run_id]]
    ]


def _grouped(session: Session, row_type: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {}
    for run_id, key, value in session.execute(
        select(row_type.run_id, row_type.key, row_type.value).where(row_type.run_id.in_(ids))
    ):
        grouped.setdefault(run_id, {})[key] = value
    return grouped


__all__ = ["insert_metrics", "load_runs", "to_experiment"]
