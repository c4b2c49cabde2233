"""Finding a monitor's due windows, measuring them, storing them as series rows.

Time windows are aligned to the epoch (a "1d" window is a UTC day); a window is due
once its end has passed. Count windows hold ``window_rows`` consecutive logged rows
and are due once that many rows arrived after the previous one. Windows whose
labels arrived after they were computed are measured again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from driftloop._duckdb import translate_errors
from driftloop.monitoring._models import MonitorSpec, MonitorWindow, parse_duration
from driftloop.store import MetadataStore, upsert
from driftloop.store._monitoring_rows import MonitorMetricRow, MonitorWindowRow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_WINDOWS_PER_RUN = 1000


def due_time_windows(
    first: datetime | None, done_until: datetime | None, now: datetime, size: timedelta
) -> list[tuple[datetime, datetime]]:
    """Aligned windows of ``size`` from the first logged row (or the last done window)
    whose end is at or before ``now``."""
    if first is None:
        return []
    start = done_until if done_until is not None else _floor(first, size)
    out: list[tuple[datetime, datetime]] = []
    while start + size <= now and len(out) < MAX_WINDOWS_PER_RUN:
        out.append((start, start + size))
        start += size
    return out


def _floor(moment: datetime, size: timedelta) -> datetime:
    return EPOCH + ((moment - EPOCH) // size) * size


def due_count_windows(
    con: Any, relation: Any, done_until: datetime | None, rows: int
) -> list[tuple[datetime, datetime]]:
    """Consecutive windows of ``rows`` logged rows after ``done_until``, full ones only."""
    con.register("log_rows", relation)
    out: list[tuple[datetime, datetime]] = []
    start = done_until
    while len(out) < MAX_WINDOWS_PER_RUN:
        where = "" if start is None else "where ts >= $start"
        params: dict[str, Any] = {"n": rows - 1} | ({} if start is None else {"start": start})
        with translate_errors("finding the next count window"):
            found = con.sql(
                f"select min(ts), (select ts from log_rows {where} order by ts "
                "limit 1 offset $n) from log_rows " + where,
                params=params,
            ).fetchall()[0]
        if found is None or found[1] is None:
            return out
        begin = start if start is not None else _utc(found[0])
        end = _utc(found[1]) + timedelta(microseconds=1)
        out.append((begin, end))
        start = end
    return out


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def due_windows(
    con: Any, spec: MonitorSpec, log: Any, done_until: datetime | None, now: datetime
) -> list[tuple[datetime, datetime]]:
    if spec.window_rows is not None:
        return due_count_windows(con, log, done_until, spec.window_rows)
    assert spec.window is not None
    first = None
    if done_until is None:
        con.register("log_rows", log)
        value = con.sql("select min(ts) from log_rows").fetchall()[0][0]
        first = _utc(value) if value is not None else None
    return due_time_windows(first or done_until, done_until, now, parse_duration(spec.window))


def done_until(store: MetadataStore, monitor: str) -> datetime | None:
    with store.read() as session:
        value = session.scalar(
            select(func.max(MonitorWindowRow.end)).where(MonitorWindowRow.monitor == monitor)
        )
    return value


def store_window(store: MetadataStore, window: MonitorWindow) -> None:
    """Write (or rewrite) a window and its series values in one transaction."""
    keys = {"monitor": window.monitor, "model_version": window.model_version, "route": window.route}
    with store.session() as session:
        upsert(
            session,
            MonitorWindowRow,
            ["monitor", "model_version", "route", "start"],
            [
                {
                    **keys,
                    "endpoint": window.endpoint,
                    "model_name": window.model_name,
                    "start": window.start,
                    "end": window.end,
                    "rows": window.rows,
                    "labeled_rows": window.labeled_rows,
                    "summary": window.summary,
                    "computed_at": window.computed_at,
                }
            ],
        )
        session.execute(
            delete(MonitorMetricRow).where(
                *(getattr(MonitorMetricRow, k) == v for k, v in keys.items()),
                MonitorMetricRow.window_start == window.start,
            )
        )
        session.add_all(
            MonitorMetricRow(
                **keys,
                endpoint=window.endpoint,
                model_name=window.model_name,
                metric=name,
                window_start=window.start,
                window_end=window.end,
                value=float(value),
                computed_at=window.computed_at,
            )
            for name, value in window.metrics.items()
            if value == value  # NaN is no value
        )


def window_from_row(row: MonitorWindowRow, metrics: dict[str, float]) -> MonitorWindow:
    return MonitorWindow(
        monitor=row.monitor,
        endpoint=row.endpoint,
        model_name=row.model_name,
        model_version=row.model_version,
        route=row.route,
        start=row.start,
        end=row.end,
        rows=row.rows,
        labeled_rows=row.labeled_rows,
        metrics=metrics,
        summary=row.summary,
        computed_at=row.computed_at,
    )
