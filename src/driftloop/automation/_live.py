"""The canary's and the champion's live figures, read from the prediction log.

What each route actually answered since the canary started: requests, server errors,
p99 latency, and the gate metric - realized on the labeled requests, estimated from the
predicted probabilities (CBPE) before labels arrive.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from driftloop.automation._policy import LoopPolicy
from driftloop.automation._rollout import RouteStats
from driftloop.monitoring._performance import cbpe_estimate, classification_metrics
from driftloop.monitoring._window import _classes as window_classes
from driftloop.monitoring._window import _matrix as window_matrix
from driftloop.serving._log_reader import PredictionLogService

PROBA_PREFIX = "output.proba."
PREDICTION = "output.prediction"
# Per request first (a request's rows share its status and latency), then per route.
_PER_REQUEST = "request_id, max(status) AS status, max(latency_ms) AS latency_ms"
_PER_ROUTE = (
    "count(*) AS requests, count(*) FILTER (WHERE status >= 500) AS errors, "
    "quantile_cont(latency_ms, 0.99) AS p99"
)


class LogLiveMetrics:
    def __init__(self, predictions: PredictionLogService) -> None:
        self._predictions = predictions

    def route_stats(
        self, policy: LoopPolicy, since: datetime, now: datetime
    ) -> tuple[RouteStats, RouteStats]:
        return (
            self._stats(policy, "canary", since, now),
            self._stats(policy, "primary", since, now),
        )

    def _stats(self, policy: LoopPolicy, route: str, since: datetime, now: datetime) -> RouteStats:
        # `end` is exclusive: a request logged in this very second still counts.
        end = now + timedelta(seconds=1)
        log = self._predictions.relation(policy.endpoint, start=since, end=end, route=route)
        per_request = log.aggregate(_PER_REQUEST, "request_id")
        requests, errors, p99 = per_request.aggregate(_PER_ROUTE).fetchall()[0]
        if not requests:
            return RouteStats(requests=0)
        metric = policy.gate.metric
        labeled = self._predictions.labeled(policy.endpoint, start=since, end=end, route=route)
        realized = _realized(labeled.to_arrow_table(), metric)
        estimated = _estimated(log.to_arrow_table(), metric)
        return RouteStats(
            requests=int(requests),
            errors=int(errors),
            latency_p99_ms=float(p99) if p99 is not None else None,
            labeled=realized[1],
            metric=realized[0],
            estimated_metric=estimated,
        )


def _outputs(table: pa.Table) -> tuple[np.ndarray, list[str], list[Any]] | None:
    """Predictions, probability columns and classes, read as the monitor reads them."""
    if table.num_rows == 0 or PREDICTION not in table.column_names:
        return None
    predictions = table.column(PREDICTION).to_numpy(zero_copy_only=False)
    columns = [c for c in table.column_names if c.startswith(PROBA_PREFIX)]
    classes = window_classes(columns, predictions)
    return (predictions, columns, classes) if classes else None


def _realized(table: pa.Table, metric: str) -> tuple[float | None, int]:
    if PREDICTION not in table.column_names:
        return None, 0  # refused requests: nothing answered, nothing to judge
    found = _outputs(table)
    if found is None:
        return None, table.num_rows
    predictions, columns, classes = found
    labels = table.column("label").to_numpy(zero_copy_only=False)
    scores = classification_metrics(labels, predictions, window_matrix(table, columns), classes)
    return scores.get(metric), table.num_rows


def _estimated(table: pa.Table, metric: str) -> float | None:
    found = _outputs(table)
    if found is None:
        return None
    predictions, columns, classes = found
    proba = window_matrix(table, columns)
    if proba is None:
        return None
    value = cbpe_estimate(proba, predictions, classes).get(metric)
    return None if value is None else float(value)
