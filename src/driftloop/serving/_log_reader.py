"""Reading the prediction log back, and the labels fed back to it (``ws.predictions``).

The index in the metadata store says which segments hold an endpoint's predictions
in a time window; only those Parquet files are opened, as one DuckDB relation read
by column name (segments written for different model versions may differ in their
columns). Values reach DuckDB as expressions over constants or as registered Arrow
tables, never as SQL text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import func, select

from driftloop._duckdb import Cursor, DuckDB, Relation, translate_errors
from driftloop.artifacts import BlobStore
from driftloop.errors import InvalidInputError, NotFoundError
from driftloop.serving._feedback import (
    _MISSING,
    FeedbackResult,
    Label,
    check_endpoint,
    parse_labels,
    store_labels,
)
from driftloop.serving._prediction_record import ROUTES
from driftloop.serving._segment import BASE_SCHEMA
from driftloop.store import MetadataStore, utcnow
from driftloop.store._prediction_rows import PredictionFeedbackRow, PredictionSegmentRow
from driftloop.store._serving_rows import DeploymentRow

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class EndpointLogStats:
    """What the log holds for one endpoint."""

    endpoint: str
    segments: int
    rows: int
    first_ts: datetime | None
    last_ts: datetime | None
    labels: int


def _column(name: str) -> duckdb.Expression:
    return duckdb.ColumnExpression(name)


def _constant(value: object) -> duckdb.Expression:
    return duckdb.ConstantExpression(value)


def _check_time(value: datetime | None, what: str) -> None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise InvalidInputError(f"{what} {value!r} must be a UTC-aware datetime")


class PredictionLogService:
    """The prediction log and feedback labels of one workspace.

    Args:
        store: the metadata store (segment index, labels).
        blobs: the artifact store holding the segments.
        duck: the workspace's DuckDB database.
        cache_dir: where segments of a remote artifact store are copied to be read.
        clock: the time labels are received at.
    """

    def __init__(
        self,
        store: MetadataStore,
        blobs: BlobStore,
        duck: DuckDB,
        cache_dir: Path,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.blobs = blobs
        self.duck = duck
        self.cache_dir = cache_dir
        self.clock = clock
        self._verified: set[str] = set()
        self._lock = threading.Lock()

    # the log -------------------------------------------------------------------------

    def relation(
        self,
        endpoint: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        model_version: int | None = None,
        route: str | None = None,
        con: Cursor | None = None,
    ) -> Relation:
        """The logged rows of ``endpoint`` with ``start <= ts < end``, as a lazy relation.

        Only the segments overlapping the window are read; ``model_version`` and
        ``route`` narrow further. Columns: see ``PredictionRecord`` and the README.
        """
        check_endpoint(endpoint)
        _check_time(start, "start")
        _check_time(end, "end")
        if route is not None and route not in ROUTES:
            raise InvalidInputError(f"route {route!r} is not one of {list(ROUTES)}")
        digests = self._segments(endpoint, start, end, model_version, route)
        con = con if con is not None else self.duck.cursor()
        if not digests:
            return con.from_arrow(BASE_SCHEMA.empty_table())
        paths = [str(p) for p in self._paths(digests)]
        with translate_errors(f"reading the prediction log of {endpoint!r}"):
            relation = con.read_parquet(paths, union_by_name=True)
            condition = _column("endpoint") == _constant(endpoint)
            if start is not None:
                condition = condition & (_column("ts") >= _constant(start))
            if end is not None:
                condition = condition & (_column("ts") < _constant(end))
            if model_version is not None:
                condition = condition & (_column("model_version") == _constant(model_version))
            if route is not None:
                condition = condition & (_column("route") == _constant(route))
            return relation.filter(condition)

    def _segments(
        self,
        endpoint: str,
        start: datetime | None,
        end: datetime | None,
        model_version: int | None,
        route: str | None,
    ) -> list[str]:
        query = select(PredictionSegmentRow.digest).where(PredictionSegmentRow.endpoint == endpoint)
        if start is not None:
            query = query.where(PredictionSegmentRow.max_ts >= start)
        if end is not None:
            query = query.where(PredictionSegmentRow.min_ts < end)
        if model_version is not None:
            query = query.where(PredictionSegmentRow.model_version == model_version)
        if route is not None:
            query = query.where(PredictionSegmentRow.route == route)
        with self.store.read() as session:
            return list(dict.fromkeys(session.scalars(query.order_by(PredictionSegmentRow.id))))

    def _paths(self, digests: Sequence[str]) -> list[Path]:
        paths = []
        for digest in digests:
            local = self.blobs.local_path(digest)
            if local is None:
                local = self.cache_dir / f"{digest.split(':', 1)[1]}.parquet"
                if not local.exists():
                    self.blobs.get_file(digest, local)  # verified before it appears
            elif digest not in self._verified:
                self.blobs.verify(digest)  # once per process: segments never change
                with self._lock:
                    self._verified.add(digest)
            paths.append(local)
        return paths

    # labels --------------------------------------------------------------------------

    def log_feedback(
        self,
        endpoint: str,
        *,
        request_id: str | None = None,
        label: object = _MISSING,
        row_index: int = 0,
        labels: Iterable[Label | dict[str, object]] | None = None,
    ) -> FeedbackResult:
        """Record the true label of a logged prediction, or of many (``labels``).

        A later label of the same (request id, row) replaces the earlier one. Labels
        of request ids not (yet) in the indexed log are kept and reported in
        ``unknown_request_ids``. Raises InvalidInputError (nothing stored) for a bad item,
        NotFoundError for an endpoint that was never deployed and has no logged predictions.

        Example::

            ws.predictions.log_feedback("flights", request_id="5f2c...", label=1)
            ws.predictions.log_feedback("flights", labels=[{"request_id": "5f2c...",
                                                            "row_index": 3, "label": 0}])
        """
        check_endpoint(endpoint)
        items = parse_labels(request_id, label, row_index, labels)
        self._require_endpoint(endpoint)
        stored = store_labels(self.store, endpoint, items, self.clock())
        known = self._known_request_ids(endpoint, {i.request_id for i in items})
        unknown = sorted({i.request_id for i in items} - known)
        return FeedbackResult(endpoint, stored, tuple(unknown))

    def _require_endpoint(self, endpoint: str) -> None:
        """Refuse labels for an endpoint never deployed nor logged (a typo, most likely)."""
        deployed = select(DeploymentRow.id).where(DeploymentRow.endpoint == endpoint).limit(1)
        logged = select(PredictionSegmentRow.id).where(PredictionSegmentRow.endpoint == endpoint)
        with self.store.read() as session:
            if session.scalar(deployed) is not None or session.scalar(logged.limit(1)):
                return
        raise NotFoundError(
            f"endpoint {endpoint!r} has no deployment and no logged predictions; check the "
            "name (see `driftloop endpoints list`)"
        )

    def _known_request_ids(self, endpoint: str, request_ids: set[str]) -> set[str]:
        con = self.duck.cursor()
        try:
            log = self.relation(endpoint, con=con).project(_column("request_id"))
            wanted = pa.table({"request_id": pa.array(sorted(request_ids), pa.string())})
            with translate_errors(f"checking request ids of {endpoint!r}"):
                found = log.join(con.from_arrow(wanted), "request_id").distinct()
                return {row[0] for row in found.fetchall()}
        finally:
            con.close()

    def feedback(self, endpoint: str, *, since: datetime | None = None) -> pa.Table:
        """The latest label of each labelled row: request_id, row_index, label, received_at.

        ``since`` keeps labels received at or after it. ``label`` holds the values as
        given (JSON-decoded); labels of mixed kinds come back as their JSON text.
        """
        check_endpoint(endpoint)
        _check_time(since, "since")
        query = select(
            PredictionFeedbackRow.request_id,
            PredictionFeedbackRow.row_index,
            PredictionFeedbackRow.label,
            PredictionFeedbackRow.received_at,
        ).where(PredictionFeedbackRow.endpoint == endpoint)
        if since is not None:
            query = query.where(PredictionFeedbackRow.received_at >= since)
        with self.store.read() as session:
            rows = session.execute(query.order_by(PredictionFeedbackRow.received_at)).all()
        return _feedback_table(rows)

    def labeled(
        self,
        endpoint: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        model_version: int | None = None,
        route: str | None = None,
        con: Cursor | None = None,
    ) -> Relation:
        """The logged rows that have a label, each with its latest ``label`` column."""
        con = con if con is not None else self.duck.cursor()
        log = self.relation(
            endpoint, start=start, end=end, model_version=model_version, route=route, con=con
        )
        labels = con.from_arrow(self.feedback(endpoint).drop_columns(["received_at"]))
        with translate_errors(f"joining the labels of {endpoint!r}"):
            return log.join(labels, "request_id, row_index")

    def stats(self, endpoint: str | None = None) -> list[EndpointLogStats]:
        """Segments, rows, time span and labels per endpoint (or of one endpoint)."""
        seg = PredictionSegmentRow
        query = select(
            seg.endpoint,
            func.count(seg.id),
            func.coalesce(func.sum(seg.row_count), 0),
            func.min(seg.min_ts),
            func.max(seg.max_ts),
        ).group_by(seg.endpoint)
        labels = select(
            PredictionFeedbackRow.endpoint, func.count(PredictionFeedbackRow.request_id)
        ).group_by(PredictionFeedbackRow.endpoint)
        if endpoint is not None:
            check_endpoint(endpoint)
            query = query.where(seg.endpoint == endpoint)
            labels = labels.where(PredictionFeedbackRow.endpoint == endpoint)
        with self.store.read() as session:
            found = {row[0]: row for row in session.execute(query)}
            counts = {name: int(n) for name, n in session.execute(labels)}
        names = sorted(set(found) | set(counts))
        return [_endpoint_stats(name, found.get(name), counts.get(name, 0)) for name in names]


def _endpoint_stats(name: str, row: Any, labels: int) -> EndpointLogStats:
    if row is None:
        return EndpointLogStats(name, 0, 0, None, None, labels)
    _, segments, rows, first, last = row
    return EndpointLogStats(name, int(segments), int(rows), _utc(first), _utc(last), labels)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _feedback_table(rows: Sequence[Any]) -> pa.Table:
    request_ids = [r[0] for r in rows]
    texts = [r[2] for r in rows]
    values = [json.loads(t) for t in texts]
    try:
        label = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        label = pa.array(texts, pa.string())
    if not rows:
        label = pa.array([], pa.string())
    return pa.table(
        {
            "request_id": pa.array(request_ids, pa.string()),
            "row_index": pa.array([r[1] for r in rows], pa.int32()),
            "label": label,
            "received_at": pa.array([r[3] for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )
