"""The gate's measurements: each model version scored on the same rows, the same way.

Both the challenger and the champion are re-scored on the latest labeled requests from
the prediction log and on the holdout dataset, so the comparison never mixes what one
model answered live with what the other would have answered.
"""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pandas as pd

from driftloop.automation._gate import ModelEvidence
from driftloop.automation._policy import LoopPolicy
from driftloop.data._service import DatasetService
from driftloop.data._suite import Suite
from driftloop.errors import InvalidInputError
from driftloop.monitoring._performance import classification_metrics, regression_metrics
from driftloop.registry._package import LoadedModel
from driftloop.registry._service import RegistryService
from driftloop.serving._log_reader import PredictionLogService

INPUT_PREFIX = "input."
LATENCY_CALLS = 50


class WorkspaceEvaluator:
    def __init__(
        self,
        registry: RegistryService,
        predictions: PredictionLogService,
        datasets: DatasetService,
    ) -> None:
        self._registry = registry
        self._predictions = predictions
        self._datasets = datasets

    def evidence(self, policy: LoopPolicy, version: int, now: datetime) -> ModelEvidence:
        model = self._registry.load(f"models:/{policy.model}/{version}")
        metrics: dict[str, float] = {}
        recent = recent_labeled(self._predictions, policy.endpoint, policy.gate.recent_rows)
        if recent is not None:
            metrics["recent"] = score(model, policy.gate.metric, *recent)
        if policy.gate.holdout is not None:
            frame = self._datasets.get(policy.gate.holdout).to_pandas()
            features, labels = split_label(frame, policy.gate.holdout_label, policy.gate.holdout)
            metrics["holdout"] = score(model, policy.gate.metric, features, labels)
        fairness = None
        if policy.gate.fairness_attribute is not None and recent is not None:
            fairness = positive_rate_gap(model, recent[0], policy.gate.fairness_attribute)
        return ModelEvidence(
            metrics=metrics,
            suite_passed=self._suite_passed(policy, version),
            fairness_gap=fairness,
            latency_p99_ms=latency_p99(model, recent[0] if recent else None),
        )

    def _suite_passed(self, policy: LoopPolicy, version: int) -> bool | None:
        if policy.gate.suite is None:
            return None
        suite = Suite.from_yaml(policy.gate.suite)
        found = self._registry.get_version(policy.model, version)
        inputs = self._registry.run_links(found).datasets
        if not inputs:
            return False  # nothing to check is not a pass
        return all(self._datasets.validate(ref, suite).success for ref in inputs)


def recent_labeled(
    predictions: PredictionLogService, endpoint: str, rows: int
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Inputs and labels of the latest ``rows`` labeled primary-route requests, or None."""
    relation = predictions.labeled(endpoint, route="primary")
    table = relation.order("ts DESC").limit(rows).to_arrow_table()
    if table.num_rows == 0:
        return None
    inputs = [c for c in table.column_names if c.startswith(INPUT_PREFIX)]
    frame = table.select(inputs).to_pandas()
    frame.columns = [c[len(INPUT_PREFIX) :] for c in inputs]
    return frame, table.column("label").to_numpy(zero_copy_only=False)


def split_label(frame: pd.DataFrame, label: str, where: str) -> tuple[pd.DataFrame, np.ndarray]:
    if label not in frame.columns:
        raise InvalidInputError(
            f"the gate's holdout {where!r} has no label column {label!r} "
            f"(columns: {', '.join(map(str, frame.columns))}); set gate.holdout_label"
        )
    return frame.drop(columns=[label]), frame[label].to_numpy()


def score(model: LoadedModel, metric: str, features: pd.DataFrame, labels: np.ndarray) -> float:
    """``metric`` of ``model`` on labeled rows (NaN when it cannot be computed on them)."""
    classes = getattr(model.native, "classes_", None)
    predictions = np.asarray(model.predict(features))
    if classes is None:
        found = regression_metrics(labels.astype(float), predictions.astype(float))
    else:
        proba = np.asarray(model.predict_proba(features))
        typed = labels.astype(np.asarray(classes).dtype, copy=False)
        found = classification_metrics(typed, predictions, proba, list(classes))
    return float(found.get(metric, float("nan")))


def positive_rate_gap(model: LoadedModel, features: pd.DataFrame, attribute: str) -> float:
    """Largest difference in predicted-positive rate between groups of ``attribute``."""
    if attribute not in features.columns:
        raise InvalidInputError(f"the gate's fairness attribute {attribute!r} is not an input")
    predictions = np.asarray(model.predict(features))
    positive = predictions == np.max(predictions)
    rates = pd.Series(positive).groupby(features[attribute].to_numpy()).mean()
    return float(rates.max() - rates.min()) if len(rates) > 1 else 0.0


def latency_p99(model: LoadedModel, features: pd.DataFrame | None) -> float | None:
    """p99 of one-row predict calls, in milliseconds (what one request costs the model)."""
    if features is None or features.empty:
        return None
    row = features.iloc[:1]
    timings: list[float] = []
    for _ in range(LATENCY_CALLS):
        started = time.perf_counter()
        model.predict(row)
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(timings, 99))
