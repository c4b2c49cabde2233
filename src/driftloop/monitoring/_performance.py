"""Model quality per window: realized metrics once labels arrive, CBPE before they do.

Pure functions over NumPy arrays. Classification metrics follow scikit-learn (binary:
the positive class; multiclass: macro averages, one-vs-rest AUC). The estimate is
confidence-based performance estimation (CBPE, as in NannyML): if the predicted
probabilities are calibrated, a row predicted positive with probability p is a true
positive with probability p, so the expected confusion matrix - and every metric
built on it - follows from the probabilities alone, before any label exists.
"""

from __future__ import annotations

from typing import Any

import numpy as np

CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
REGRESSION = ("mae", "rmse", "r2")


def classification_metrics(
    labels: np.ndarray, predictions: np.ndarray, proba: np.ndarray | None, classes: list[Any]
) -> dict[str, float]:
    """Accuracy, precision, recall, F1, ROC AUC and log loss of labelled rows.

    ``proba`` has one column per class in ``classes`` order (or is None: no AUC, no
    log loss). Binary problems score ``classes[-1]`` as the positive class.
    """
    from sklearn import metrics

    if labels.size == 0:
        return {}
    binary = len(classes) == 2
    average = "binary" if binary else "macro"
    options: dict[str, Any] = {"average": average, "zero_division": 0}
    if binary:
        options["pos_label"] = classes[-1]
    out = {
        "accuracy": float(metrics.accuracy_score(labels, predictions)),
        "precision": float(metrics.precision_score(labels, predictions, **options)),
        "recall": float(metrics.recall_score(labels, predictions, **options)),
        "f1": float(metrics.f1_score(labels, predictions, **options)),
    }
    if proba is not None and len(np.unique(labels)) > 1 and set(np.unique(labels)) <= set(classes):
        scores = proba[:, -1] if binary else proba
        out["roc_auc"] = float(
            metrics.roc_auc_score(labels, scores, multi_class="ovr", labels=classes)
            if not binary
            else metrics.roc_auc_score(labels == classes[-1], scores)
        )
        out["log_loss"] = float(metrics.log_loss(labels, np.clip(proba, 1e-15, 1), labels=classes))
    return out


def regression_metrics(labels: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and R² of labelled rows."""
    if labels.size == 0:
        return {}
    error = predictions.astype(float) - labels.astype(float)
    spread = float(np.sum((labels - labels.mean()) ** 2))
    r2 = 1 - float(np.sum(error**2)) / spread if spread > 0 else 0.0
    return {
        "mae": float(np.abs(error).mean()),
        "rmse": float(np.sqrt((error**2).mean())),
        "r2": r2,
    }


def cbpe_estimate(
    proba: np.ndarray, predictions: np.ndarray, classes: list[Any]
) -> dict[str, float]:
    """Expected accuracy, precision, recall, F1 and ROC AUC from probabilities alone.

    Binary: with p the probability of the positive class, the expected confusion
    matrix is TP = sum p, FP = sum (1 - p) over rows predicted positive, FN = sum p,
    TN = sum (1 - p) over the others. The expected AUC weighs every (row, row) pair
    by the chance that one is positive and the other negative. Multiclass: expected
    accuracy only (the mean probability of the predicted class).
    """
    if proba.shape[0] == 0:
        return {}
    if len(classes) != 2:
        index = {c: i for i, c in enumerate(classes)}
        chosen = np.array([index.get(p, 0) for p in predictions])
        return {"accuracy": float(proba[np.arange(len(chosen)), chosen].mean())}
    p = np.clip(proba[:, -1].astype(float), 0.0, 1.0)
    positive = predictions == classes[-1]
    tp, fp = p[positive].sum(), (1 - p[positive]).sum()
    fn, tn = p[~positive].sum(), (1 - p[~positive]).sum()
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "accuracy": float((tp + tn) / p.size),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "roc_auc": _expected_auc(p),
    }


def _expected_auc(p: np.ndarray) -> float:
    """E[AUC] when row i is positive with probability p_i, scored by p itself."""
    order = np.argsort(p, kind="stable")
    sorted_p = p[order]
    negatives_below = np.cumsum(1 - sorted_p) - (1 - sorted_p)  # strictly lower scores
    positives, negatives = sorted_p.sum(), (1 - sorted_p).sum()
    if positives <= 0 or negatives <= 0:
        return 0.5
    return float(np.dot(sorted_p, negatives_below) / (positives * negatives))


def fairness(
    groups: np.ndarray, predictions: np.ndarray, positive: Any, labels: np.ndarray | None = None
) -> dict[str, Any]:
    """Per group: selection rate, and with ``labels`` true positive rate and accuracy.

    Demographic parity difference = largest minus smallest selection rate; equal
    opportunity difference = largest minus smallest true positive rate (fairlearn's
    definitions). ``labels``, when given, is aligned with ``predictions``.
    """
    names = groups.astype(str)
    chosen = predictions == positive
    per_group: dict[str, dict[str, float]] = {}
    for group in sorted(set(names.tolist())):
        mask = names == group
        stats = {"rows": float(mask.sum()), "selection_rate": float(chosen[mask].mean())}
        if labels is not None:
            stats["accuracy"] = float((predictions[mask] == labels[mask]).mean())
            actual = labels[mask] == positive
            if actual.any():
                stats["true_positive_rate"] = float(chosen[mask][actual].mean())
        per_group[group] = stats
    out: dict[str, Any] = {"groups": per_group}
    for key, name in (
        ("selection_rate", "demographic_parity_difference"),
        ("true_positive_rate", "equal_opportunity_difference"),
    ):
        values = [g[key] for g in per_group.values() if key in g]
        if len(values) > 1:
            out[name] = max(values) - min(values)
    return out
