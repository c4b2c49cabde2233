"""What the server hands the prediction log for each request on each route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pyarrow as pa

Route = Literal["primary", "canary", "shadow"]
ROUTES: tuple[Route, ...] = ("primary", "canary", "shadow")


@dataclass(frozen=True, slots=True)
class PredictionRecord:
    """One request answered (or refused) by one route of one endpoint.

    ``inputs`` holds the request's rows in the model's input columns; ``outputs`` the
    same number of rows (``prediction``, and ``proba.<class>`` per class for
    classifiers), or None when the model gave no answer (``error`` says why). A record
    with no input rows (a request refused before its rows were read) is logged as one
    row of nulls, so refusals are counted too.
    """

    request_id: str
    ts: datetime  # UTC-aware: when the request arrived
    endpoint: str
    deployment_version: int
    model_name: str
    model_version: int
    route: Route
    status: int  # the HTTP status answered
    latency_ms: float
    inputs: pa.Table
    outputs: pa.Table | None = None
    error: str | None = None

    @property
    def num_rows(self) -> int:
        """Rows this record adds to the log (a record without input rows still adds one)."""
        rows: int = self.inputs.num_rows
        return max(rows, 1)


@dataclass(frozen=True, slots=True)
class PredictionLogStats:
    """The writer's counters since it started.

    ``dropped`` records were refused because the queue was full (or the writer was
    closed); ``written_rows`` rows are in indexed segments; ``pending_rows`` rows are
    buffered or awaiting their index; ``failed_rows`` rows could not be written
    (their segment is lost: the artifact store refused it, see the warning).
    """

    queue_depth: int
    dropped: int
    written_rows: int
    segments: int
    accepted: int = 0
    pending_rows: int = 0
    failed_rows: int = 0
