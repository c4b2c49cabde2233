"""One window of the prediction log measured: service health, drift, quality, fairness.

Counts (requests, errors, latency quantiles, missing rates) are exact DuckDB
aggregates over every row of the window. The statistics that need the rows
themselves (drift, realized and estimated performance, fairness) read at most
``max_rows`` of them: a window larger than that is sampled deterministically (by a
hash of request id and row), so memory stays bounded however big the log grows.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftloop._duckdb import SqlParams, translate_errors
from driftloop._duckdb import quote_identifier as quote
from driftloop.monitoring._compute import DriftReference, as_arrow, compute_drift
from driftloop.monitoring._models import MonitorSpec
from driftloop.monitoring._numeric import NumericReference
from driftloop.monitoring._performance import (
    cbpe_estimate,
    classification_metrics,
    fairness,
    regression_metrics,
)

INPUT, PROBA, PREDICTION = "input.", "output.proba.", "output.prediction"
_PLOT_BINS = 30


@dataclass(frozen=True, slots=True)
class Reference:
    """The reference side of a monitor, prepared once: drift bins, target, plot bins."""

    ref: str
    drift: DriftReference
    target: DriftReference | None
    plot_edges: dict[str, list[float]]


def prepare_reference(ref: str, table: Any, spec: MonitorSpec, features: list[str]) -> Reference:
    data = as_arrow(table)
    drift = DriftReference.of(data, features, spec.categorical)
    target = None
    if spec.target and spec.target in data.column_names:
        target = DriftReference.of(data.select([spec.target]).rename_columns(["prediction"]))
    edges = {}
    for name, column in drift.columns.items():
        if isinstance(column, NumericReference) and column.sample.size:
            low, high = np.quantile(column.sample.values, [0.005, 0.995])
            edges[name] = np.linspace(low, high, _PLOT_BINS + 1).tolist()
    return Reference(ref, drift, target, edges)


def measure_window(
    con: Any, rows: Any, labeled: Any, reference: Reference, spec: MonitorSpec
) -> tuple[dict[str, float], dict[str, Any]]:
    """The metric series values and the detailed summary of one window."""
    con.register("window_rows", rows)
    con.register("window_labeled", labeled)
    features = [f for f in reference.drift.columns if INPUT + f in rows.columns]
    metrics, summary = _service_metrics(con, features)
    if metrics["rows"] == 0:
        return metrics, summary
    wanted = [INPUT + f for f in features]
    output_columns = _output_columns(rows, spec)
    # One read of the window's rows for drift and quality: one sample, one scan.
    table, _ = _sample(
        con, "window_rows", list(dict.fromkeys(wanted + output_columns)), spec.max_rows
    )
    current = table.select(wanted).rename_columns(features)
    summary["sampled_rows"] = table.num_rows
    drift = compute_drift(reference.drift, current, columns=features, thresholds=spec.thresholds)
    for column in drift.columns:
        metrics[f"drift.{column.column}"] = column.statistic
    metrics["drift.share"], metrics["drift.count"] = drift.share_drifted, len(drift.drifted)
    summary["drift"] = [_column_summary(c) for c in drift.columns]
    summary["distributions"] = _distributions(reference, current, drift)
    _quality(con, reference, table.select(output_columns), spec, metrics, summary)
    summary["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return metrics, summary


def _service_metrics(con: Any, features: list[str]) -> tuple[dict[str, float], dict[str, Any]]:
    missing = [f"avg(({quote(INPUT + f)} is null)::double)" for f in features]
    query = (
        "select count(*), count(distinct request_id), "
        "count(distinct request_id) filter (where status >= 400), "
        "quantile_cont(latency_ms, [0.5, 0.95, 0.99]) filter (where row_index = 0)"
        + "".join(f", {m}" for m in missing)
        + " from window_rows"
    )
    with translate_errors("measuring a monitor window"):
        row = con.sql(query).fetchall()[0]
    rows, requests, errors, latency = int(row[0]), int(row[1]), int(row[2] or 0), row[3]
    metrics = {"rows": float(rows), "requests": float(requests)}
    metrics["error_rate"] = errors / requests if requests else 0.0
    for name, value in zip(
        ("latency_p50", "latency_p95", "latency_p99"), latency or [], strict=False
    ):
        metrics[name] = float(value)
    for feature, rate in zip(features, row[4:], strict=True):
        metrics[f"missing.{feature}"] = float(rate or 0.0)
    return metrics, {}


def _sample(con: Any, view: str, columns: list[str], max_rows: int) -> tuple[Any, int]:
    """Successful rows' ``columns`` (a deterministic sample of ``max_rows`` when there
    are more) and how many successful rows there are."""
    params = SqlParams()
    count = int(con.sql(f"select count(*) from {view} where status < 400").fetchall()[0][0])
    if not columns:
        return as_arrow({}), count
    select = ", ".join(quote(c) for c in columns)
    query = f"select {select} from {view} where status < 400"
    if count > max_rows:
        query += f" order by hash(request_id, row_index) limit {params.add(max_rows)}"
    with translate_errors("reading a monitor window"):
        return con.sql(query, params=params.values).to_arrow_table(), count


def _output_columns(rows: Any, spec: MonitorSpec) -> list[str]:
    names = [c for c in rows.columns if c == PREDICTION or c.startswith(PROBA)]
    if spec.group_by and INPUT + spec.group_by in rows.columns:
        names.append(INPUT + spec.group_by)
    return names


def _classes(columns: list[str], predictions: np.ndarray) -> list[Any]:
    names = [c[len(PROBA) :] for c in columns if c.startswith(PROBA)]
    if predictions.dtype.kind in "iub":
        return [int(n) if n.lstrip("-").isdigit() else n for n in names]
    if predictions.dtype.kind == "f":
        return [float(n) for n in names]
    return names


def _quality(
    con: Any,
    reference: Reference,
    outputs: Any,
    spec: MonitorSpec,
    metrics: dict[str, float],
    summary: dict[str, Any],
) -> None:
    if PREDICTION not in outputs.column_names:
        return
    predictions = outputs.column(PREDICTION).to_numpy(zero_copy_only=False)
    proba_columns = [c for c in outputs.column_names if c.startswith(PROBA)]
    classes = _classes(proba_columns, predictions)
    if reference.target is not None:
        drift = compute_drift(reference.target, {"prediction": predictions}, columns=["prediction"])
        metrics["prediction_drift"] = drift.columns[0].statistic
        summary["prediction_drift"] = _column_summary(drift.columns[0])
    proba = _matrix(outputs, proba_columns)
    if proba is not None and classes:
        for name, value in cbpe_estimate(proba, predictions, classes).items():
            metrics[f"estimated.{name}"] = value
    labeled_columns = [*outputs.column_names, "label"]
    labeled, labeled_count = _sample(con, "window_labeled", labeled_columns, spec.max_rows)
    metrics["labeled_rows"] = float(labeled_count)
    realized = _realized(labeled, proba_columns, classes)
    metrics.update(realized)
    positive = spec.positive if spec.positive is not None else (classes[-1] if classes else None)
    if spec.group_by and INPUT + spec.group_by in outputs.column_names and positive is not None:
        summary["fairness"] = _fairness(outputs, labeled, spec.group_by, positive)
        for key in ("demographic_parity_difference", "equal_opportunity_difference"):
            if key in summary["fairness"]:
                metrics[f"fairness.{key}"] = summary["fairness"][key]


def _realized(labeled: Any, proba_columns: list[str], classes: list[Any]) -> dict[str, float]:
    if labeled.num_rows == 0:
        return {}
    predictions = labeled.column(PREDICTION).to_numpy(zero_copy_only=False)
    labels = _like(labeled.column("label").to_numpy(zero_copy_only=False), predictions)
    if classes:
        return classification_metrics(labels, predictions, _matrix(labeled, proba_columns), classes)
    return regression_metrics(labels.astype(float), predictions.astype(float))


def _fairness(outputs: Any, labeled: Any, group_by: str, positive: Any) -> dict[str, Any]:
    column = INPUT + group_by
    groups = outputs.column(column).to_numpy(zero_copy_only=False)
    out = fairness(groups, outputs.column(PREDICTION).to_numpy(zero_copy_only=False), positive)
    if labeled.num_rows:
        predictions = labeled.column(PREDICTION).to_numpy(zero_copy_only=False)
        labels = _like(labeled.column("label").to_numpy(zero_copy_only=False), predictions)
        with_labels = fairness(
            labeled.column(column).to_numpy(zero_copy_only=False), predictions, positive, labels
        )
        for group, stats in with_labels["groups"].items():
            out["groups"].setdefault(group, {}).update(
                {k: v for k, v in stats.items() if k in ("accuracy", "true_positive_rate")}
            )
        if "equal_opportunity_difference" in with_labels:
            out["equal_opportunity_difference"] = with_labels["equal_opportunity_difference"]
    out["attribute"] = group_by
    return out


def _like(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Labels in the predictions' type (JSON gives 1 for a class the model calls 1.0)."""
    try:
        return labels.astype(predictions.dtype)
    except (TypeError, ValueError):
        return labels.astype(str)


def _matrix(table: Any, columns: list[str]) -> np.ndarray | None:
    if not columns:
        return None
    return np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in columns])


def _column_summary(column: Any) -> dict[str, Any]:
    return {
        "column": column.column,
        "kind": column.kind,
        "method": column.method,
        "statistic": column.statistic,
        "threshold": column.threshold,
        "pvalue": column.pvalue,
        "drifted": column.drifted,
        "stats": column.stats,
        "missing_reference": column.missing_reference,
        "missing_current": column.missing_current,
        "unseen": list(column.unseen),
        "alpha": column.alpha,
        "rows": list(column.rows),
        "reason": column.reason,
    }


def _distributions(reference: Reference, current: Any, drift: Any) -> dict[str, Any]:
    """Reference and current histograms (numeric) or category shares of the features
    that drifted, else of the three that moved most: what the report plots."""
    ranked = sorted(drift.columns, key=lambda c: c.statistic / max(c.threshold, 1e-12))
    chosen = [c for c in drift.columns if c.drifted] or ranked[-3:]
    out: dict[str, Any] = {}
    for column in chosen:
        name = column.column
        ref = reference.drift.columns[name]
        if isinstance(ref, NumericReference) and name in reference.plot_edges:
            edges = np.asarray(reference.plot_edges[name])
            values = current.column(name).to_numpy(zero_copy_only=False).astype(float)
            ref_counts = np.histogram(np.clip(ref.sample.values, edges[0], edges[-1]), edges)[0]
            cur = values[~np.isnan(values)]
            cur_counts = np.histogram(np.clip(cur, edges[0], edges[-1]), edges)[0]
            out[name] = {
                "kind": "numeric",
                "edges": edges.tolist(),
                "reference": ref_counts.tolist(),
                "current": cur_counts.tolist(),
            }
        elif not isinstance(ref, NumericReference):
            from driftloop.monitoring._categorical import value_counts

            counts = value_counts(current.column(name))
            keys = sorted(set(ref.counts) | set(counts), key=lambda k: -ref.counts.get(k, 0))[:20]
            out[name] = {
                "kind": "categorical",
                "categories": [str(k) for k in keys],
                "reference": [int(ref.counts.get(k, 0)) for k in keys],
                "current": [int(counts.get(k, 0)) for k in keys],
            }
    return out
